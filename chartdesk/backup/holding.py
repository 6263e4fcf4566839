"""Which backups still hold given files, and when they age out: for the
retention room's disposal certificate."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chartdesk.backup.layout import BackupSet, Location, list_sets
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


@dataclass(frozen=True)
class BackupSummary:
    """One backup as `chartdesk backup list` shows it."""

    path: Path
    id: str
    taken_at: dt.datetime | None
    expires_at: dt.datetime | None
    documents: int
    files: int
    bytes: int
    problem: str = ""


def list_backups(settings: Settings, location: Path | None = None) -> list[BackupSummary]:
    """The backups of one location, or of every known location that can be reached."""
    places = [Location(location.expanduser().resolve())] if location else known_locations(settings)
    return [_summary(s, settings.backup.retention_days) for p in places if p.exists() for s in list_sets(p)]


def _summary(backup: BackupSet, days: int) -> BackupSummary:
    m = backup.manifest
    if m is None:
        return BackupSummary(backup.path, backup.id, None, None, 0, 0, 0, backup.problem)
    size = sum(e.size for e in m.pool) + sum(f.size for f in m.files.values())
    return BackupSummary(backup.path, m.id, m.taken_at, expiry(m.taken_at, days), m.counts.get("documents", 0),
                         len(m.pool) + len(m.files), size)
