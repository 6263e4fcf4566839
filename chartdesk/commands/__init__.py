"""The CLI's verbs, one module per group. cli.py registers everything listed here."""

from __future__ import annotations

import click

from chartdesk.commands import pipeline as _pipeline
from chartdesk.commands import serve as _serve
from chartdesk.commands import users as _users
from chartdesk.commands import audit as _audit
from chartdesk.commands import classifier as _classifier
from chartdesk.commands import patients as _patients
from chartdesk.commands import review as _review
from chartdesk.commands import export as _export
from chartdesk.commands import index as _index
from chartdesk.commands import backup as _backup

COMMANDS: list[click.Command] = [*_pipeline.COMMANDS, *_users.COMMANDS, *_audit.COMMANDS, *_serve.COMMANDS,
                                 *_patients.COMMANDS, *_review.COMMANDS, *_classifier.COMMANDS,
                                 *_export.COMMANDS, *_index.COMMANDS]
COMMANDS += _backup.COMMANDS

from chartdesk.commands import retention as _retention  # noqa: E402

COMMANDS += _retention.COMMANDS
