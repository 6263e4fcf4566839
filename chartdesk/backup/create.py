"""`chartdesk backup create`: a consistent online backup while the service runs.

Order matters. The audit checkpoint is copied before the database, so it never
runs ahead of the copy (the live checkpoint trails the committed log); then the
database through SQLite's online backup API; then the originals the copy's
documents need (stored before their rows were committed, so all are there),
each copied into the location's pool once; then quarantine, page images and the
model. Every file of the new backup is verified, and the manifest is written
last: a backup without one is incomplete and never used.

The database copy, the audit key and checkpoint are first taken into a scratch
folder in the (local) data directory, checked there, and only then stored in
the location, sealed when it is encrypted: no plain copy of them is ever
written to the backup disk. Whether a new location is encrypted is decided by
its first backup (`Encryption`); an existing one stays as it was made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.backup import dbcopy, extras
from chartdesk.backup.errors import (
    BackupDamagedError,
    NoDestinationError,
    PassphraseRequiredError,
    UnencryptedRefusedError,
)
from chartdesk.backup.keys import create_key, read_passphrase
from chartdesk.backup.layout import PARTIAL, README_ENCRYPTED, Location, list_sets, open_location
from chartdesk.backup.locations import remember
from chartdesk.backup.manifest import NAME, AuditInfo, DatabaseInfo, FileEntry, Manifest, PoolEntry
from chartdesk.backup.pool import PoolWriter, SourceDamagedError, fsync_dir, hash_file
from chartdesk.backup.progress import NO_PROGRESS, Progress
from chartdesk.backup.sealing import copy_in
from chartdesk.backup.verify import CHECKPOINT_FILE, KEY_FILE, bad_pool_entries, own_problems
from chartdesk.config import Settings
from chartdesk.db import utcnow
from chartdesk.errors import ConfigError
from chartdesk.store import copy_durably, write_durably

if TYPE_CHECKING:
    from collections.abc import Iterator

log = logging.getLogger(__name__)

CONFIG_FILE = "config.toml"
RAW_DB = "database.sqlite"


class Encryption(StrEnum):
    """How `create_backup` makes a NEW location (an existing one stays as it was made)."""

    required = "required"  # encrypted; refused when no passphrase is configured (`backup create`)
    off = "off"  # not encrypted, even with a passphrase (`backup create --unencrypted`)
    if_configured = "if_configured"  # encrypted when a passphrase is configured, else not (with a warning)


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    copied_files: int
    copied_bytes: int
    warnings: tuple[str, ...]
    seconds: float


@dataclass
class _Run:
    settings: Settings
    location: Location
    folder: Path
    progress: Progress
    taken_at: dt.datetime
    warnings: list[str]
    scratch: Path  # local: plain copies of the database and keys before they are stored


def destination(settings: Settings, dest: Path | None) -> Location:
    root = dest or settings.backup.location
    if root is None:
        raise NoDestinationError()
    root = root.expanduser().resolve()
    data = settings.data_dir.resolve()
    if root == data or data in root.parents or root in data.parents:
        raise ConfigError(f"the backup destination {root} overlaps the data directory {data}",
                          remedy="back up to a folder on another disk")
    return Location(root)


def create_backup(app: App, principal: Principal, dest: Path | None = None, *,
                  progress: Progress = NO_PROGRESS, full_verify: bool = True,
                  encryption: Encryption = Encryption.if_configured) -> BackupResult:
    """Take a backup into `dest` (default: backup.location), verify it and audit it."""
    started = time.monotonic()
    location = destination(app.settings, dest)
    passphrase = read_passphrase(app.settings.backup)
    _check_encryption(location, passphrase, encryption)
    with app.db.write() as conn:
        remember(conn, location.root)
    warnings: list[str] = []
    with location.locked(), _scratch(app.settings) as scratch:
        location = _open(location, passphrase, encryption, warnings)
        previous = _previous(location)
        run = _Run(app.settings, location, location.new_set_dir(utcnow()), progress, utcnow(), warnings, scratch)
        writer = PoolWriter(location)
        manifest = _take(app, run, writer, previous)
        _verify(app, run, writer, manifest, _known_good(previous, full=full_verify))
        final = _commit(run, manifest)
    _audit(app, principal, final, manifest)
    log.info("backup %s taken: %d new files", manifest.id, writer.copied_files)
    return BackupResult(final, manifest, writer.copied_files, writer.copied_bytes, tuple(run.warnings),
                        round(time.monotonic() - started, 2))


def _check_encryption(location: Location, passphrase: str | None, encryption: Encryption) -> None:
    """Before anything is written: a new location without a passphrase when encryption is required."""
    if location.is_new() and passphrase is None and encryption is Encryption.required:
        raise UnencryptedRefusedError(location.root)
    if location.encrypted and passphrase is None:
        raise PassphraseRequiredError(location.root, "taking a backup")


def _open(location: Location, passphrase: str | None, encryption: Encryption, warnings: list[str]) -> Location:
    """The location ready to write: a new one gets its key, an encrypted one is unlocked."""
    if location.is_new() and passphrase is not None and encryption is not Encryption.off:
        vault = create_key(location.root, passphrase)
        (location.root / "README.txt").write_text(README_ENCRYPTED, encoding="utf-8")
        log.info("backup location %s is new: encrypted", location.root)
        return dataclasses.replace(location, vault=vault)
    if location.encrypted:
        return open_location(location, passphrase)
    _check_encryption(location, passphrase, encryption)
    warnings.append(f"the backup location {location.root} is not encrypted: anyone holding it can read every "
                    "record (configure a backup passphrase and back up to a new, empty location to encrypt)")
    return location


@contextlib.contextmanager
def _scratch(settings: Settings) -> Iterator[Path]:
    """A private folder in the data directory (local, beside the live data it copies)."""
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".backup-scratch-") as folder:
        os.chmod(folder, 0o700)
        yield Path(folder)


def _verify(app: App, run: _Run, writer: PoolWriter, manifest: Manifest, known_good: frozenset[str]) -> None:
    """Check every file of the new backup; a pool file found damaged (an earlier
    crash, a failing disk) is copied again from the live file and checked again."""
    problems = list(own_problems(run.folder, manifest, run.location.vault).values())
    bad = bad_pool_entries(run.location, manifest, run.progress, full=False, known_good=known_good)
    repaired = [entry for entry, _p in bad if _repair(app, run, writer, entry)]
    writer.flush()
    if repaired:
        log.warning("repaired %d damaged file(s) in the backup location", len(repaired))
        again = dataclasses.replace(manifest, pool=tuple(repaired))
        bad = bad_pool_entries(run.location, again, run.progress, full=True)
    problems += [problem for _e, problem in bad]
    if problems:
        raise BackupDamagedError(run.folder, problems)


def _repair(app: App, run: _Run, writer: PoolWriter, entry: PoolEntry) -> bool:
    source = app.store.path(entry.sha256) if entry.area == extras.STORE else extras.target(run.settings, entry)
    try:
        writer.replace(source, entry.sha256, entry.size)
    except (FileNotFoundError, SourceDamagedError):
        return False
    return True


def _version() -> str:
    try:
        return metadata.version("chartdesk")
    except metadata.PackageNotFoundError:
        return "unknown"


def _previous(location: Location) -> Manifest | None:
    usable = [s.manifest for s in list_sets(location) if s.manifest is not None]
    return usable[-1] if usable else None


def _known_good(previous: Manifest | None, *, full: bool) -> frozenset[str]:
    """With a quick check, files the previous backup held (verified then) are checked by size only."""
    return frozenset() if full or previous is None else previous.sha256s()


def _take(app: App, run: _Run, writer: PoolWriter, previous: Manifest | None) -> Manifest:
    files = _keys(run)
    database, stored, copy_facts, audit_info = _database(app, run)
    files[database.file] = stored
    files[CONFIG_FILE] = _config(run)
    originals, missing = _originals(app, run, writer, copy_facts.originals)
    others = extras.copy_extras(run.settings, writer, previous, run.progress)
    writer.flush()
    return Manifest(
        id=run.folder.name.removesuffix(PARTIAL), taken_at=run.taken_at, chartdesk_version=_version(),
        database=database, audit=audit_info, files=files, pool=tuple(originals + others),
        counts=copy_facts.counts, missing=tuple(missing), retention_days=run.settings.backup.retention_days,
    )


def _keys(run: _Run) -> dict[str, FileEntry]:
    """The key and the checkpoint, copied before the database (see the module's note)."""
    files = {}
    for name, source in ((CHECKPOINT_FILE, audit.checkpoint_path(run.settings)),
                         (KEY_FILE, audit.key_path(run.settings))):
        if not source.is_file():
            run.warnings.append(f"the audit {'key' if name == KEY_FILE else 'checkpoint'} file {source} is missing")
            continue
        copy_durably(source, run.scratch / name)
        sha, size = copy_in(run.scratch / name, run.folder / name, run.location.vault)
        os.chmod(run.folder / name, 0o600)
        files[name] = FileEntry(size, sha)
    return files


def _database(app: App, run: _Run) -> tuple[DatabaseInfo, FileEntry, dbcopy.CopyFacts, AuditInfo]:
    raw = run.scratch / RAW_DB
    source = dbcopy.database_path(run.settings)
    run.progress.phase("database", dbcopy.page_count(source))
    done = [0]

    def step(pages: int, _total: int) -> None:
        run.progress.advance(pages - done[0])
        done[0] = pages

    dbcopy.snapshot(source, raw, step)
    problem = dbcopy.integrity_problem(raw)
    if problem:
        raise BackupDamagedError(run.folder, [problem])
    copy_facts, audit_info = _inspect(run, raw)
    raw_sha, raw_size = hash_file(raw)
    name, sha, size = dbcopy.store(raw, run.settings.backup.compression, run.folder, run.location.vault)
    raw.unlink()
    info = DatabaseInfo(name, run.settings.backup.compression.value, raw_size, raw_sha, copy_facts.schema_version)
    return info, FileEntry(size, sha), copy_facts, audit_info


def _inspect(run: _Run, raw: Path) -> tuple[dbcopy.CopyFacts, AuditInfo]:
    """What the copy holds, and whether its audit chain verifies with the copied key and checkpoint."""
    with dbcopy.read_only(raw) as conn:
        copy_facts = dbcopy.facts(conn)
        report = _verify_chain(conn, run.scratch)
    key_id = _key_id(run.scratch)
    cp_seq = _checkpoint_seq(run.scratch)
    if not report.ok:
        run.warnings.append(f"the audit chain does not verify in the copy: {report.problem} "
                            "(run `chartdesk audit verify` on this installation)")
    return copy_facts, AuditInfo(copy_facts.audit_head, key_id, cp_seq, report.ok, report.problem)


def _verify_chain(conn: object, folder: Path) -> audit.VerifyReport:
    key_file = folder / KEY_FILE
    if not key_file.is_file():
        return audit.VerifyReport(ok=False, events_checked=0, head_seq=0, problem="the audit key is missing")
    return audit.verify(conn, audit.load_key(key_file), folder / CHECKPOINT_FILE)  # type: ignore[arg-type]


def _key_id(folder: Path) -> str:
    key_file = folder / KEY_FILE
    return audit.load_key(key_file).key_id if key_file.is_file() else ""


def _checkpoint_seq(folder: Path) -> int:
    import json

    try:
        return int(json.loads((folder / CHECKPOINT_FILE).read_text())["seq"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _config(run: _Run) -> FileEntry:
    sha, size = copy_in(run.settings.config_path, run.folder / CONFIG_FILE, run.location.vault)
    return FileEntry(size, sha)


def _originals(app: App, run: _Run, writer: PoolWriter,
               needed: dict[str, tuple[int, int]]) -> tuple[list[PoolEntry], list[str]]:
    run.progress.phase("original files", sum(size for size, _doc in needed.values()))
    entries, missing = [], []
    for sha, (size, doc_id) in sorted(needed.items()):
        problem = _copy_original(app, writer, sha, size, doc_id)
        if problem:
            missing.append(sha)
            run.warnings.append(problem)
        else:
            entries.append(PoolEntry(extras.STORE, sha, sha, size))
        run.progress.advance(size)
    return entries, missing


def _copy_original(app: App, writer: PoolWriter, sha: str, size: int, doc_id: int) -> str:
    try:
        writer.add_known(app.store.path(sha), sha, size)
    except FileNotFoundError:
        return (f"the original of document {doc_id} is missing from the store (disposed of while the "
                "backup ran, or lost): this backup does not hold it")
    except SourceDamagedError:
        return (f"the original of document {doc_id} is damaged in the store (its bytes no longer match "
                "its checksum) and no earlier backup here holds a good copy")
    return ""


def _commit(run: _Run, manifest: Manifest) -> Path:
    write_durably(run.folder / NAME, manifest.to_json(run.location.vault).encode("utf-8"))
    final = run.folder.with_name(manifest.id)
    os.replace(run.folder, final)
    fsync_dir(final.parent)
    return final


def _audit(app: App, principal: Principal, path: Path, manifest: Manifest) -> None:
    with app.db.write() as conn:
        audit.record(conn, audit.Exported(
            principal=principal, destination=str(path), form="backup",
            extra={"backup_id": manifest.id, "documents": manifest.counts.get("documents", 0),
                   "originals": len(manifest.originals()), "audit_head": manifest.audit.head_seq},
        ))
