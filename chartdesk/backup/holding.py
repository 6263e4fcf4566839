"""Which backups still hold given files, and when they age out: for the
retention room's disposal certificate.

An encrypted location is read with the configured backup passphrase. Without
it (or with a wrong one) its backups are listed from their plain headers only
(when taken, when they age out) and cannot say which files they hold: that is
logged, as for a disk that is not plugged in."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chartdesk.backup.keys import read_passphrase
from chartdesk.backup.layout import BackupSet, Location, list_sets, open_location
from chartdesk.backup.locations import known_locations
from chartdesk.config import Settings
from chartdesk.errors import ChartdeskError

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
        location = opened(settings, location)
        if location.needs_passphrase:
            log.warning("backup location %s is encrypted and cannot be opened; which files its backups "
                        "hold is not known", location.root)
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


def opened(settings: Settings, location: Location) -> Location:
    """The location opened with the configured passphrase where that works; else as it is (logged)."""
    if not location.encrypted:
        return location
    try:
        return open_location(location, read_passphrase(settings.backup))
    except ChartdeskError as exc:
        log.warning("backup location %s: %s", location.root, exc.message)
        return location


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
    encrypted: bool = False
    locked: bool = False  # encrypted and not opened: only when it was taken is known


def list_backups(settings: Settings, location: Path | None = None) -> list[BackupSummary]:
    """The backups of one location, or of every known location that can be reached."""
    places = [Location(location.expanduser().resolve())] if location else known_locations(settings)
    return [_summary(s, settings.backup.retention_days, encrypted=p.encrypted)
            for p in places if p.exists() for s in list_sets(opened(settings, p))]


def _summary(backup: BackupSet, days: int, *, encrypted: bool) -> BackupSummary:
    m = backup.manifest
    if backup.header is not None and m is None:
        taken = backup.header.taken_at
        return BackupSummary(backup.path, backup.id, taken, expiry(taken, days), 0, 0, 0,
                             encrypted=True, locked=True)
    if m is None:
        return BackupSummary(backup.path, backup.id, None, None, 0, 0, 0, backup.problem, encrypted=encrypted)
    size = sum(e.size for e in m.pool) + sum(f.size for f in m.files.values())
    return BackupSummary(backup.path, m.id, m.taken_at, expiry(m.taken_at, days), m.counts.get("documents", 0),
                         len(m.pool) + len(m.files), size, encrypted=encrypted)
