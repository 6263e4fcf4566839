"""The backup room: online backups of an installation, their verification,
pruning, and restore onto a new machine. Other rooms use only these names.

- `backups_holding(settings, sha256s) -> list[BackupHolding]`: which backups in
  the known locations still hold given files and when they age out (retention's
  disposal certificate).
"""

from __future__ import annotations

from chartdesk.backup.holding import BackupHolding, backups_holding

__all__ = ["BackupHolding", "backups_holding"]
