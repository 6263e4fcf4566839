"""The CLI's verbs, one module per group. cli.py registers everything listed here."""

from __future__ import annotations

import click

from chartdesk.commands import pipeline as _pipeline

COMMANDS: list[click.Command] = [*_pipeline.COMMANDS]
