"""`chartdesk backup prune`: remove backups older than backup.retention_days
(always keeping the newest backup.keep_last of a location), interrupted
backups, and pool files no remaining backup needs. Audited as a retention act.

A pool file is removed only when every remaining manifest could be read: a
damaged manifest might name it, so then nothing is removed from the pool. An
encrypted location is pruned of old backups by their plain headers; its pool
files are collected only with the passphrase (their names are keyed HMACs).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.backup.holding import expiry
from chartdesk.backup.keys import read_passphrase
from chartdesk.backup.layout import BackupSet, Location, list_sets, open_location
from chartdesk.backup.locations import known_locations
from chartdesk.config import Settings
from chartdesk.db import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PruneResult:
    location: Path
    removed: tuple[str, ...]
    kept: tuple[str, ...]
    interrupted_removed: int
    pool_files_removed: int
    bytes_freed: int
    note: str = ""


def expired(settings: Settings, sets: list[BackupSet], now: dt.datetime) -> tuple[list[BackupSet], list[BackupSet]]:
    """(to remove, to keep). Unreadable backups are kept: their age is unknown."""
    readable = [s for s in sets if s.header is not None]
    protected = {s.path for s in readable[-settings.backup.keep_last:]}
    remove = [s for s in readable if s.path not in protected
              and expiry(s.header.taken_at, settings.backup.retention_days) <= now]  # type: ignore[union-attr]
    gone = {s.path for s in remove}
    return remove, [s for s in sets if s.path not in gone]


def prune_backups(app: App, principal: Principal, location: Path | None = None, *, dry_run: bool = False,
                  now: dt.datetime | None = None) -> list[PruneResult]:
    """Prune one location, or every known location that can be reached."""
    now = now or utcnow()
    with app.db.read() as conn:
        places = [Location(location.expanduser().resolve())] if location else known_locations(app.settings, conn)
    passphrase = read_passphrase(app.settings.backup)
    results = [_prune(app.settings, open_location(place, passphrase), now, dry_run=dry_run)
               for place in places if place.exists()]
    if not dry_run:
        for result in results:
            if result.removed or result.interrupted_removed or result.pool_files_removed:
                _audit(app, principal, result)
    return results


def _prune(settings: Settings, location: Location, now: dt.datetime, *, dry_run: bool) -> PruneResult:
    with location.locked():
        remove, keep = expired(settings, list_sets(location), now)
        partial = location.partial_dirs()
        if dry_run:
            return PruneResult(location.root, _ids(remove), _ids(keep), len(partial), 0, 0, "dry run")
        for backup in [*remove, *partial]:
            shutil.rmtree(backup.path if isinstance(backup, BackupSet) else backup)
        _clear_tmp(location)
        files, freed, note = _collect(location, keep)
    log.info("pruned %d backups, %d pool files", len(remove), files)
    return PruneResult(location.root, _ids(remove), _ids(keep), len(partial), files, freed, note)


def _ids(sets: list[BackupSet]) -> tuple[str, ...]:
    return tuple(s.id for s in sets)


def _clear_tmp(location: Location) -> None:
    if location.tmp.is_dir():
        for leftover in location.tmp.iterdir():
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


def _collect(location: Location, keep: list[BackupSet]) -> tuple[int, int, str]:
    """Remove pool files no kept backup names: (files, bytes, note)."""
    if location.needs_passphrase:
        return 0, 0, ("the location is encrypted and no backup passphrase was given, so no pool file was "
                      "removed (the files only removed backups held go at the next prune with the passphrase)")
    if any(s.manifest is None for s in keep):
        return 0, 0, "a backup's manifest is unreadable, so no pool file was removed"
    wanted: set[str] = set()
    for backup in keep:
        wanted |= {location.vault.name(sha) for sha in backup.manifest.sha256s()}  # type: ignore[union-attr]
    files = freed = 0
    for path in _pool_files(location):
        if path.name not in wanted:
            freed += path.stat().st_size
            path.unlink()
            files += 1
    return files, freed, ""


def _pool_files(location: Location) -> list[Path]:
    found = []
    for folder, _dirs, names in os.walk(location.pool):
        found += [Path(folder) / n for n in names if len(n) == 64]
    return found


def _audit(app: App, principal: Principal, result: PruneResult) -> None:
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(
            principal=principal, act="backup_pruned",
            reason=f"older than {app.settings.backup.retention_days} days",
            extra={"location": str(result.location), "removed": list(result.removed),
                   "interrupted_removed": result.interrupted_removed,
                   "pool_files_removed": result.pool_files_removed, "bytes_freed": result.bytes_freed},
        ))
