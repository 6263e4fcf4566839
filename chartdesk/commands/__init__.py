"""The CLI's verbs, one module per group. cli.py registers everything listed here."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
