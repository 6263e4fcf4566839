"""The backup room: online backups of an installation, their verification,
pruning, and restore onto a new machine. Other rooms use only these names.

- `create_backup(app, principal, dest=None, *, progress, full_verify=True) -> BackupResult`
- `verify_backups(src, *, progress) -> list[SetReport]`
- `restore_backup(config_path, src, login, *, replace_existing=False, progress) -> RestoreResult`
- `prune_backups(app, principal, location=None, *, dry_run=False) -> list[PruneResult]`
- `list_backups(settings, location=None) -> list[BackupSummary]`
- `backups_holding(settings, sha256s) -> list[BackupHolding]`: which backups in
  the known locations still hold given files and when they age out (retention's
  disposal certificate).
- `Progress` (a Protocol; `NO_PROGRESS` does nothing) and the errors below.

A location holds many backups sharing one content-addressed pool; see layout.py.
"""

from __future__ import annotations

from chartdesk.backup.create import BackupResult, create_backup
from chartdesk.backup.errors import (
    BackupDamagedError,
    BackupIncompleteError,
    LocationBusyError,
    NoDestinationError,
    NotABackupError,
    RestoreRefusedError,
    UnsupportedDatabaseError,
)
from chartdesk.backup.holding import BackupHolding, BackupSummary, backups_holding, list_backups
from chartdesk.backup.progress import NO_PROGRESS, Progress
from chartdesk.backup.prune import PruneResult, prune_backups
from chartdesk.backup.restore import Login, RestoreResult, live_data, restore_backup
from chartdesk.backup.verify import SetReport, verify_backups

__all__ = [
    "NO_PROGRESS",
    "BackupDamagedError",
    "BackupHolding",
    "BackupIncompleteError",
    "BackupResult",
    "BackupSummary",
    "LocationBusyError",
    "Login",
    "NoDestinationError",
    "NotABackupError",
    "Progress",
    "PruneResult",
    "RestoreRefusedError",
    "RestoreResult",
    "SetReport",
    "UnsupportedDatabaseError",
    "backups_holding",
    "create_backup",
    "list_backups",
    "live_data",
    "prune_backups",
    "restore_backup",
    "verify_backups",
]
