"""The backup room: online backups of an installation, their verification,
pruning, and restore onto a new machine. Other rooms use only these names.

- `create_backup(app, principal, dest=None, *, progress, full_verify=True, encryption) -> BackupResult`
  (`Encryption` says how a new location is made; an existing one stays as it is)
- `verify_backups(src, *, progress, passphrase=None, scratch=None) -> list[SetReport]`
- `restore_backup(config_path, src, login, *, replace_existing=False, progress, passphrase=None) -> RestoreResult`
- `prune_backups(app, principal, location=None, *, dry_run=False) -> list[PruneResult]`
- `list_backups(settings, location=None) -> list[BackupSummary]`
- `backups_holding(settings, sha256s) -> list[BackupHolding]`: which backups in
  the known locations still hold given files and when they age out (retention's
  disposal certificate).
- `read_passphrase(backup_settings) -> str | None`: the backup passphrase from
  $CHARTDESK_BACKUP_PASSPHRASE or backup.passphrase_file.
- `Progress` (a Protocol; `NO_PROGRESS` does nothing) and the errors below.

A location holds many backups sharing one content-addressed pool; see layout.py.
It is encrypted at rest when made with a passphrase; see keys.py and sealing.py.
"""

from __future__ import annotations

from chartdesk.backup.create import BackupResult, Encryption, create_backup
from chartdesk.backup.errors import (
    PASSPHRASE_ENV,
    BackupDamagedError,
    BackupIncompleteError,
    LocationBusyError,
    NoDestinationError,
    NotABackupError,
    PassphraseRequiredError,
    RestoreRefusedError,
    UnencryptedRefusedError,
    UnsupportedDatabaseError,
    WrongPassphraseError,
)
from chartdesk.backup.holding import BackupHolding, BackupSummary, backups_holding, list_backups
from chartdesk.backup.keys import read_passphrase
from chartdesk.backup.passphrase import change_passphrase
from chartdesk.backup.progress import NO_PROGRESS, Progress
from chartdesk.backup.prune import PruneResult, prune_backups
from chartdesk.backup.restore import Login, RestoreResult, live_data, restore_backup
from chartdesk.backup.verify import SetReport, verify_backups

__all__ = [
    "NO_PROGRESS",
    "PASSPHRASE_ENV",
    "BackupDamagedError",
    "BackupHolding",
    "BackupIncompleteError",
    "BackupResult",
    "BackupSummary",
    "Encryption",
    "LocationBusyError",
    "Login",
    "NoDestinationError",
    "NotABackupError",
    "PassphraseRequiredError",
    "Progress",
    "PruneResult",
    "RestoreRefusedError",
    "RestoreResult",
    "SetReport",
    "UnencryptedRefusedError",
    "UnsupportedDatabaseError",
    "WrongPassphraseError",
    "backups_holding",
    "change_passphrase",
    "create_backup",
    "list_backups",
    "live_data",
    "prune_backups",
    "read_passphrase",
    "restore_backup",
    "verify_backups",
]
