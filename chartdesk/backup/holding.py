"""Which backups still hold given files, and when they age out: for the
retention room's disposal certificate."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chartdesk.backup.layout import BackupSet, list_sets
from chartdesk.backup.locations import known_locations
from chartdesk.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupHolding:
    """One backup that holds some of the files asked about. `expires_at` is when
    `chartdesk backup prune` may remove it under the current backup.retention_days
    (the newest backup.keep_last backups of a location are kept past it)."""

    path: Path
    taken_at: dt.datetime
    expires_at: dt.datetime
    sha256s: frozenset[str]


def backups_holding(settings: Settings, sha256s: Iterable[str]) -> list[BackupHolding]:
    """Every complete backup in the known locations holding any of `sha256s`
    (originals, page images or quarantined files with those hashes), oldest first.
    A location that cannot be reached (a disk not plugged in) is logged and skipped."""
    wanted = frozenset(sha256s)
    if not wanted:
        return []
    found: list[BackupHolding] = []
    for location in known_locations(settings):
        if not location.exists():
            log.warning("backup location %s is not reachable; its backups are not counted", location.root)
            continue
        for backup in list_sets(location):
            holding = _holding(backup, wanted, settings.backup.retention_days)
            if holding is not None:
                found.append(holding)
    return sorted(found, key=lambda h: h.taken_at)


def _holding(backup: BackupSet, wanted: frozenset[str], days: int) -> BackupHolding | None:
    if backup.manifest is None:
        log.warning("backup %s has an unreadable manifest; it is not counted", backup.id)
        return None
    held = backup.manifest.sha256s() & wanted
    if not held:
        return None
    taken = backup.manifest.taken_at
    return BackupHolding(backup.path, taken, expiry(taken, days), frozenset(held))


def expiry(taken_at: dt.datetime, days: int) -> dt.datetime:
    return taken_at + dt.timedelta(days=days)
