"""The CLI's verbs, one module per group. cli.py registers everything listed here."""

from __future__ import annotations

import click

from chartdesk.commands import (
    audit,
    backup,
    classifier,
    export,
    index,
    patients,
    pipeline,
    quarantine,
    retention,
    review,
    search,
    serve,
    users,
)

COMMANDS: list[click.Command] = [
    *pipeline.COMMANDS,  # init, run, ingest, status, reprocess
    *serve.COMMANDS,
    *search.COMMANDS,
    *export.COMMANDS,
    *index.COMMANDS,
    *patients.COMMANDS,
    *review.COMMANDS,
    *classifier.COMMANDS,
    *users.COMMANDS,
    *audit.COMMANDS,
    *quarantine.COMMANDS,
    *retention.COMMANDS,
    *backup.COMMANDS,
]
