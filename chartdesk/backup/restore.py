"""`chartdesk restore SRC`: a working installation back from a backup.

Onto an empty data directory only, unless the caller says `replace_existing`:
then the current data directory (and an audit key or checkpoint kept outside
it) is moved aside, never deleted. Who may restore: a user *of the backup*
(its users table and password hashes come back with it) whose role has the
`backup` permission; the login and the restore are the first events the
restored audit log gains. Any failure undoes everything the restore made and
puts moved data back, so a second attempt starts clean.

An encrypted backup needs its location's passphrase; every file is opened
(each chunk authenticated) and re-hashed on its way into the data directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from chartdesk import access, audit, config, index
from chartdesk.access import Principal
from chartdesk.app import check_local_filesystem, prepare_data_dir
from chartdesk.backup import dbcopy, extras
from chartdesk.backup.errors import BackupDamagedError, RestoreRefusedError
from chartdesk.backup.layout import (
    BackupSet,
    Location,
    newest_complete,
    open_location,
    read_set,
    resolve,
)
from chartdesk.backup.manifest import Manifest, PoolEntry
from chartdesk.backup.pool import CHUNK, fsync_dir, hash_file, sync_filesystem
from chartdesk.backup.progress import NO_PROGRESS, Progress
from chartdesk.backup.sealing import SealError, Vault, copy_out
from chartdesk.backup.verify import CHECKPOINT_FILE, KEY_FILE, describe, own_problems
from chartdesk.config import Settings
from chartdesk.db import Database, documents, leases, utcnow
from chartdesk.store import BlobStore

log = logging.getLogger(__name__)

Login = Callable[[Database, Settings], Principal]  # logs a user of the restored database in (audited)
CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    backup: Path
    backup_id: str
    taken_at: dt.datetime
    documents: int
    files: int
    indexed: int
    audit: audit.VerifyReport
    moved_aside: tuple[Path, ...]
    config_written: bool


@dataclass
class _Undo:
    """What the restore made or moved, to take back if it fails."""

    data_dir: Path
    data_dir_existed: bool
    made: list[Path] = field(default_factory=list)
    moved: list[tuple[Path, Path]] = field(default_factory=list)

    def run(self) -> None:
        if self.data_dir.exists():
            if self.data_dir_existed:
                for child in self.data_dir.iterdir():
                    _remove(child)
            else:
                shutil.rmtree(self.data_dir)
        for path in reversed(self.made):
            _remove(path)
        for original, aside in reversed(self.moved):
            os.replace(aside, original)


def restore_backup(config_path: Path, src: Path, login: Login, *, replace_existing: bool = False,
                   progress: Progress = NO_PROGRESS, passphrase: str | None = None) -> RestoreResult:
    """Restore `src` into the installation of `config_path`. Where one is already
    set up there, its own user must log in first (with the backup permission),
    so only someone trusted with the live data may even ask to replace it.
    An encrypted backup needs its location's `passphrase`."""
    if config_path.exists():
        _live_login(config.load(config_path), login)
    location, backup = choose(src, passphrase)
    m = backup.manifest
    assert m is not None
    own = own_problems(backup.path, m, location.vault)
    if own:
        raise BackupDamagedError(backup.path, list(own.values()))
    config_written = _ensure_config(config_path, backup.path, location.vault)
    try:
        settings = config.load(config_path)
        _check_target(settings, replace_existing=replace_existing)
    except BaseException:
        if config_written:
            config_path.unlink()
        raise
    # From here the data directory holds no file (or is moved aside): undo may clear it.
    undo = _Undo(settings.data_dir, settings.data_dir.exists())
    if config_written:
        undo.made.append(config_path)
    try:
        return _restore(settings, location, backup.path, m, login, undo, progress, config_written=config_written)
    except BaseException:
        log.warning("restore failed; undoing what it made")
        undo.run()
        raise


def _live_login(settings: Settings, login: Login) -> None:
    if not (settings.data_dir / "chartdesk.db").is_file():
        return
    db = Database(settings.database_url)
    try:
        access.require(login(db, settings), "backup")
    finally:
        db.dispose()


def choose(src: Path, passphrase: str | None = None) -> tuple[Location, BackupSet]:
    """The backup named, or the newest complete one of a location (opened with the passphrase)."""
    location, one = resolve(src)
    location = open_location(location, passphrase)
    location.require_open("restoring a backup")
    backup = read_set(one, location.vault) if one else newest_complete(location)
    if backup.manifest is None:
        raise BackupDamagedError(backup.path, [backup.problem])
    return location, backup


def _ensure_config(config_path: Path, folder: Path, vault: Vault) -> bool:
    """On a fresh machine the backup's config file becomes the config."""
    if config_path.exists():
        return False
    config_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        copy_out(folder / CONFIG_FILE, config_path, vault, mode=0o600)
    except SealError as exc:
        raise BackupDamagedError(folder, [f"the file {CONFIG_FILE} is damaged: {exc}"]) from None
    return True


def live_data(settings: Settings) -> list[str]:
    """What of an installation is already there (empty folders do not count)."""
    found = []
    if settings.data_dir.is_dir() and any(files for _d, _s, files in os.walk(settings.data_dir)):
        found.append(f"files in the data directory {settings.data_dir}")
    for path in (audit.key_path(settings), audit.checkpoint_path(settings)):
        if path.exists() and settings.data_dir not in path.parents:
            found.append(f"the audit file {path}")
    return found


def _check_target(settings: Settings, *, replace_existing: bool) -> None:
    found = live_data(settings)
    if found and not replace_existing:
        raise RestoreRefusedError(
            f"this installation already has data ({'; '.join(found)}); a restore would replace it",
            remedy="restore onto an empty data directory (a new paths.data_dir), or stop chartdesk and run "
                   "the restore again with --replace-existing (the current data is moved aside, not deleted)",
        )
    if found and _service_running(settings):
        raise RestoreRefusedError(
            "chartdesk is running on this data directory (a worker holds a lease)",
            remedy="stop the service first (`systemctl stop chartdesk` or Ctrl-C), then restore",
        )


def _service_running(settings: Settings) -> bool:
    path = settings.data_dir / "chartdesk.db"
    if not path.is_file():
        return False
    db = Database(settings.database_url)
    now = utcnow()
    try:
        with db.read() as conn:
            held = conn.execute(select(documents.c.id).where(documents.c.lease_until > now).limit(1)).first()
            held = held or conn.execute(select(leases.c.name).where(leases.c.until > now).limit(1)).first()
        return held is not None
    except Exception:  # noqa: BLE001 - an unreadable database is being replaced; it runs nothing
        return False
    finally:
        db.dispose()


def _restore(settings: Settings, location: Location, folder: Path, m: Manifest, login: Login,
             undo: _Undo, progress: Progress, *, config_written: bool) -> RestoreResult:
    _move_aside(settings, undo)
    prepare_data_dir(settings)
    check_local_filesystem(settings.data_dir)
    _place_database(settings, location.vault, folder, m, progress)
    _place_keys(settings, location.vault, folder, undo)
    db = Database(settings.database_url)
    try:
        audit.ensure_ready(settings, db)
        _void_leases(db)
        principal = login(db, settings)
        access.require(principal, "backup")
        files = _place_files(settings, location, folder, m, undo, progress)
        progress.phase("rebuilding the search index", None)
        indexed = index.rebuild(db, settings, worker_id=f"{socket.gethostname()}:restore:{os.getpid()}")
        report = _record_and_verify(db, settings, principal, m)
    finally:
        db.dispose()
    log.info("backup %s restored: %d files, %d documents indexed", m.id, files, indexed)
    return RestoreResult(settings.data_dir, folder, m.id, m.taken_at, m.counts.get("documents", 0), files,
                         indexed, report, tuple(aside for _o, aside in undo.moved), config_written)


def _move_aside(settings: Settings, undo: _Undo) -> None:
    if not live_data(settings):
        return
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    outside = [p for p in (audit.key_path(settings), audit.checkpoint_path(settings))
               if p.exists() and settings.data_dir not in p.parents]
    for path in [settings.data_dir, *outside]:
        aside = path.with_name(f"{path.name}.before-restore-{stamp}")
        try:
            os.replace(path, aside)
        except OSError as exc:
            raise RestoreRefusedError(
                f"the current data at {path} cannot be moved aside ({exc.strerror})",
                remedy="move it away yourself, then restore onto the empty folder",
            ) from None
        undo.moved.append((path, aside))
    undo.data_dir_existed = False


def _place_database(settings: Settings, vault: Vault, folder: Path, m: Manifest, progress: Progress) -> None:
    progress.phase("database", None)
    final = dbcopy.database_path(settings)
    staging = final.with_name(final.name + ".restoring")
    try:
        dbcopy.expand(folder / m.database.file, m.database.compression, staging, vault)
    except (SealError, EOFError) as exc:
        staging.unlink(missing_ok=True)
        raise BackupDamagedError(folder, [f"the database copy cannot be expanded: {exc}"]) from None
    if hash_file(staging) != (m.database.raw_sha256, m.database.raw_size):
        staging.unlink()
        raise BackupDamagedError(folder, ["the database copy expands to something other than what was backed up"])
    problem = dbcopy.integrity_problem(staging)
    if problem:
        staging.unlink()
        raise BackupDamagedError(folder, [problem])
    os.replace(staging, final)
    fsync_dir(final.parent)


def _void_leases(db: Database) -> None:
    """Leases held by the other machine's service when the copy was taken (the
    indexer's, for one) mean nothing here; documents' own leases simply expire."""
    with db.write() as conn:
        conn.execute(leases.delete())


def _place_keys(settings: Settings, vault: Vault, folder: Path, undo: _Undo) -> None:
    for name, dest in ((KEY_FILE, audit.key_path(settings)), (CHECKPOINT_FILE, audit.checkpoint_path(settings))):
        if not (folder / name).is_file():
            continue  # verify reports it; the log then cannot be verified
        if settings.data_dir not in dest.parents:
            undo.made.append(dest)
        copy_out(folder / name, dest, vault, mode=0o600)  # checked by own_problems before


def _place_files(settings: Settings, location: Location, folder: Path, m: Manifest, undo: _Undo,
                 progress: Progress) -> int:
    store = BlobStore(settings.store_dir)
    progress.phase("original files, page images, quarantine", sum(e.size for e in m.pool))
    problems, placed = [], 0
    for entry in m.pool:
        problem = _place(settings, store, location, entry, undo)
        if problem:
            problems.append(problem)
        else:
            placed += 1
        progress.advance(entry.size)
    if problems:
        raise BackupDamagedError(folder, problems)
    sync_filesystem(settings.data_dir)  # page images and quarantine: once, not per file
    return placed


def _place(settings: Settings, store: BlobStore, location: Location, entry: PoolEntry, undo: _Undo) -> str:
    source = location.pool_path(entry.sha256)
    if not source.is_file():
        return f"{describe(entry)} is missing from the backup"
    try:
        return _place_opened(settings, store, location.vault, source, entry, undo)
    except SealError as exc:
        return f"{describe(entry)} is damaged: {exc}"


def _place_opened(settings: Settings, store: BlobStore, vault: Vault, source: Path, entry: PoolEntry,
                  undo: _Undo) -> str:
    if entry.area == extras.STORE:
        with vault.open_read(source) as opened:
            stored = store.put_stream(opened)
        if stored.sha256 != entry.sha256:
            store.remove(stored.sha256)
            return f"{describe(entry)} is damaged: its bytes no longer match its checksum"
        return ""
    dest = extras.target(settings, entry)
    if entry.area == extras.MODEL:
        if dest.exists():
            return ""  # a model already there is kept (it is retrained from corrections when stale)
        if settings.data_dir not in dest.parents:
            undo.made.append(dest)
    if _copy_checked(vault, source, dest, entry.sha256):
        return ""
    return f"{describe(entry)} is damaged: its bytes no longer match its checksum"


def _copy_checked(vault: Vault, source: Path, dest: Path, sha256: str) -> bool:
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(f".{dest.name}.restoring")
    digest = hashlib.sha256()
    try:
        with vault.open_read(source) as fin, tmp.open("wb") as out:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != sha256:
        tmp.unlink()
        return False
    os.replace(tmp, dest)
    return True


def _record_and_verify(db: Database, settings: Settings, principal: Principal, m: Manifest) -> audit.VerifyReport:
    with db.write() as conn:
        audit.record(conn, audit.RetentionAct(
            principal=principal, act="backup_restored",
            reason=f"restored from backup {m.id} taken {m.taken_at.isoformat(timespec='seconds')}",
            extra={"backup_id": m.id, "documents": m.counts.get("documents", 0)},
        ))
    with db.read() as conn:
        return audit.verify_log(settings, conn)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
