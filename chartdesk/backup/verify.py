"""`chartdesk backup verify`: is a backup whole, and would it restore?

Every file is checked against the manifest (present, its full size, its
SHA-256); then the database copy is expanded into the location's tmp/ folder,
SQLite's integrity check runs on it, and its audit chain is verified with the
key and checkpoint the backup carries. Each problem is one plain sentence.

An encrypted location needs its passphrase: every file is then opened (which
checks each chunk's authentication) and its plain bytes re-hashed. The database
copy and the keys are opened into a local scratch folder, never onto the
backup disk.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from chartdesk import audit
from chartdesk.backup import dbcopy
from chartdesk.backup.layout import BackupSet, Location, list_sets, open_location, read_set, resolve
from chartdesk.backup.manifest import Manifest, PoolEntry
from chartdesk.backup.progress import NO_PROGRESS, Progress
from chartdesk.backup.sealing import PLAIN, SealError, Vault, copy_out, hash_stored

KEY_FILE = "keys/audit.key"
CHECKPOINT_FILE = "keys/audit-checkpoint.json"


@dataclass(frozen=True)
class SetReport:
    path: Path
    id: str
    problems: tuple[str, ...]
    files_checked: int
    audit_events: int

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_backups(src: Path, *, progress: Progress = NO_PROGRESS, passphrase: str | None = None,
                   scratch: Path | None = None) -> list[SetReport]:
    """Verify one backup folder, or every backup in a location (a file shared by
    several backups is read once). An encrypted location needs `passphrase`
    (PassphraseRequiredError, WrongPassphraseError); `scratch` is a local folder
    for the opened database copy (default: the system's temporary folder, or the
    location's tmp/ for an unencrypted one)."""
    location, one = resolve(src)
    location = open_location(location, passphrase)
    location.require_open("verifying its backups")
    sets = [read_set(one, location.vault)] if one else list_sets(location)
    if not sets:
        return [SetReport(location.root, "-", ("the location holds no complete backup",), 0, 0)]
    hashed: dict[str, str] = {}
    return [verify_set(location, s, progress=progress, hashed=hashed, scratch=scratch) for s in sets]


def verify_set(location: Location, backup: BackupSet, *, progress: Progress = NO_PROGRESS,
               hashed: dict[str, str] | None = None, scratch: Path | None = None) -> SetReport:
    if backup.manifest is None:
        return SetReport(backup.path, backup.id, (f"backup {backup.id}: {backup.problem}",), 0, 0)
    m = backup.manifest
    own = own_problems(backup.path, m, location.vault)
    problems = [*own.values(), *pool_problems(location, m, progress, full=True, hashed=hashed)]
    events = 0
    if m.database.file not in own:
        db_problems, events = check_database(location, backup.path, m, progress, scratch)
        problems += db_problems
    problems += [f"the original file {sha[:12]} could not be copied when this backup was taken "
                 "(missing or damaged in the store)" for sha in m.missing]
    return SetReport(backup.path, m.id, tuple(problems), len(m.files) + len(m.pool), events)


def own_problems(folder: Path, m: Manifest, vault: Vault) -> dict[str, str]:
    """File name -> problem, for the files in the backup's own folder."""
    found = {name: _check(folder / name, _own_label(name, m), entry.size, entry.sha256, hashed=None, vault=vault)
             for name, entry in m.files.items()}
    return {name: problem for name, problem in found.items() if problem}


def pool_problems(location: Location, m: Manifest, progress: Progress, *, full: bool,
                  known_good: frozenset[str] = frozenset(), hashed: dict[str, str] | None = None) -> list[str]:
    return [problem for _entry, problem in bad_pool_entries(location, m, progress, full=full,
                                                            known_good=known_good, hashed=hashed)]


def bad_pool_entries(location: Location, m: Manifest, progress: Progress, *, full: bool,
                     known_good: frozenset[str] = frozenset(),
                     hashed: dict[str, str] | None = None) -> list[tuple[PoolEntry, str]]:
    """Pool files that are missing, short or damaged, with the problem of each."""
    hashed = {} if hashed is None else hashed
    progress.phase("verifying", sum(e.size for e in m.pool))
    bad = []
    for entry in m.pool:
        deep = full or entry.sha256 not in known_good
        problem = _check(location.pool_path(entry.sha256), describe(entry), entry.size,
                         entry.sha256 if deep else None, hashed=hashed, vault=location.vault)
        if problem:
            bad.append((entry, problem))
        progress.advance(entry.size)
    return bad


def check_database(location: Location, folder: Path, m: Manifest, progress: Progress,
                   scratch: Path | None = None) -> tuple[list[str], int]:
    """Expand the copy, run SQLite's integrity check and verify its audit chain."""
    progress.phase("checking the database copy and its audit chain", None)
    if scratch is None and not location.vault.encrypted:
        location.tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        scratch = location.tmp
    with tempfile.TemporaryDirectory(dir=scratch, prefix="verify-") as tmp:
        raw = Path(tmp) / "database.sqlite"
        try:
            dbcopy.expand(folder / m.database.file, m.database.compression, raw, location.vault)
        except (OSError, EOFError, SealError) as exc:
            return [f"the database copy cannot be expanded ({type(exc).__name__}): it is cut off or damaged"], 0
        problem = _check(raw, "the expanded database copy", m.database.raw_size, m.database.raw_sha256,
                         hashed=None, vault=PLAIN)
        if problem:
            return [problem], 0
        problem = dbcopy.integrity_problem(raw)
        if problem:
            return [problem], 0
        return _check_chain(raw, folder, m, location.vault, Path(tmp))


def _check_chain(raw: Path, folder: Path, m: Manifest, vault: Vault, tmp: Path) -> tuple[list[str], int]:
    if not (folder / KEY_FILE).is_file():
        return ["the backup has no audit key, so its audit log cannot be verified"], 0
    for name in (KEY_FILE, CHECKPOINT_FILE):
        if (folder / name).is_file():
            copy_out(folder / name, tmp / name, vault)  # checked by own_problems already
    with dbcopy.read_only(raw) as conn:
        report = audit.verify(conn, audit.load_key(tmp / KEY_FILE), tmp / CHECKPOINT_FILE)  # type: ignore[arg-type]
    if not report.ok:
        return [f"the audit log in the backup does not verify: {report.problem}"], report.events_checked
    if report.head_seq != m.audit.head_seq:
        return [f"the audit log in the backup ends at event {report.head_seq}, the manifest says "
                f"{m.audit.head_seq}"], report.events_checked
    return [], report.events_checked


def _check(path: Path, label: str, size: int, sha256: str | None, *, hashed: dict[str, str] | None,
           vault: Vault) -> str:
    size = vault.stored_size(size)
    try:
        found = path.stat().st_size
    except FileNotFoundError:
        return f"{label} is missing"
    if found < size:
        return f"{label} is cut off: {found:,} of {size:,} bytes (the backup was truncated)"
    if found != size:
        return f"{label} has {found:,} bytes where the manifest says {size:,} (changed after the backup)"
    if sha256 is None:
        return ""
    if hashed is not None and path.name in hashed:
        digest = hashed[path.name]
    else:
        try:
            digest = hash_stored(path, vault)[0]
        except SealError as exc:
            digest = f"damaged: {exc}"
        if hashed is not None:
            hashed[path.name] = digest
    if digest.startswith("damaged: "):
        return f"{label} is {digest}"
    return "" if digest == sha256 else f"{label} is damaged: its bytes no longer match its checksum"


def _own_label(name: str, m: Manifest) -> str:
    if name == m.database.file:
        return f"the database copy {name}"
    return {KEY_FILE: "the audit key", CHECKPOINT_FILE: "the audit checkpoint"}.get(name, f"the file {name}")


def describe(entry: PoolEntry) -> str:
    """A pool file named without patient data (quarantined files by document id)."""
    if entry.area == "store":
        return f"the original file {entry.sha256[:12]}"
    if entry.area == "derived":
        return f"the page image {entry.path}"
    if entry.area == "quarantine":
        return f"a quarantined file of document {entry.path.rsplit('/', 1)[-1][:7].lstrip('0') or '?'}"
    return "the classifier model"
