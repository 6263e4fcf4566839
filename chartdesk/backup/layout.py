"""A backup location on disk.

    LOCATION/
      README.txt            what this folder is (for whoever finds the disk)
      key.json              an encrypted location's data key, wrapped by the passphrase (keys.py)
      .lock                 held by `backup create` and `backup prune` (one at a time)
      pool/ab/<name>        every file kept by any backup here, once (originals, page images, ...);
                            named by its SHA-256, or in an encrypted location by an HMAC of it;
                            one level of 256 folders (two levels made a folder per file)
      sets/<id>/            one backup: manifest.json, database copy, keys/, config.toml
      sets/<id>.partial/    a backup being written (or interrupted; prune removes it)
      tmp/                  files being copied into the pool

A backup folder is complete once it has its manifest and lost its `.partial`
name; only complete backups are restored, listed or counted as holding files.

In an encrypted location every file but README.txt, key.json and the plain
header of each manifest is sealed (sealing.py). A `Location` carries the vault
that opens it: `PLAIN` until `keys.open_location` unlocks it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chartdesk.backup import manifest as manifest_mod
from chartdesk.backup.errors import LocationBusyError, NotABackupError, PassphraseRequiredError
from chartdesk.backup.keys import KEY_FILE, unlock
from chartdesk.backup.manifest import Header, Manifest, ManifestError
from chartdesk.backup.sealing import PLAIN, Vault

PARTIAL = ".partial"
README = """This folder holds chartdesk backups (patient records: keep it locked away).
Restore one with `chartdesk restore THIS-FOLDER` (the newest) or
`chartdesk restore THIS-FOLDER/sets/<id>`; check them with `chartdesk backup verify`.
"""
README_ENCRYPTED = """This folder holds encrypted chartdesk backups of patient records.
Every file is encrypted (AES-256-GCM) with a key that only the backup passphrase
opens (key.json holds that key, wrapped). Without the passphrase these backups
cannot be read or restored by anyone. With it: `chartdesk restore THIS-FOLDER`,
and `chartdesk backup verify THIS-FOLDER` to check them.
"""


@dataclass(frozen=True)
class Location:
    root: Path
    vault: Vault = field(default=PLAIN, compare=False, repr=False)

    @property
    def pool(self) -> Path:
        return self.root / "pool"

    @property
    def sets(self) -> Path:
        return self.root / "sets"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def key_file(self) -> Path:
        return self.root / KEY_FILE

    @property
    def encrypted(self) -> bool:
        return self.key_file.is_file()

    @property
    def needs_passphrase(self) -> bool:
        """Encrypted, and not opened with its passphrase."""
        return self.encrypted and not self.vault.encrypted

    def require_open(self, doing: str) -> None:
        if self.needs_passphrase:
            raise PassphraseRequiredError(self.root, doing)

    def pool_path(self, sha256: str) -> Path:
        """Where the file with this SHA-256 is kept (its name is an HMAC in an encrypted location)."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        name = self.vault.name(sha256)
        return self.pool / name[:2] / name

    def exists(self) -> bool:
        return self.sets.is_dir()

    def is_new(self) -> bool:
        """No backup was ever started here and it has no key: `backup create` decides its encryption."""
        return not self.encrypted and not (self.sets.is_dir() and any(self.sets.iterdir()))

    def ensure(self) -> None:
        for folder in (self.root, self.pool, self.sets, self.tmp):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        readme = self.root / "README.txt"
        if not readme.exists():
            readme.write_text(README_ENCRYPTED if self.encrypted else README, encoding="utf-8")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the location (create and prune), or LocationBusyError."""
        self.ensure()
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LocationBusyError(self.root) from None
            yield
        finally:
            os.close(fd)

    def complete_dirs(self) -> list[Path]:
        if not self.sets.is_dir():
            return []
        return sorted(p for p in self.sets.iterdir() if p.is_dir() and not p.name.endswith(PARTIAL))

    def partial_dirs(self) -> list[Path]:
        if not self.sets.is_dir():
            return []
        return sorted(p for p in self.sets.iterdir() if p.is_dir() and p.name.endswith(PARTIAL))

    def new_set_dir(self, taken_at: dt.datetime) -> Path:
        """A fresh `sets/<id>.partial` folder; ids sort by time."""
        base = taken_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        for n in range(1, 1000):
            name = base if n == 1 else f"{base}-{n}"
            if not (self.sets / name).exists() and not (self.sets / (name + PARTIAL)).exists():
                folder = self.sets / (name + PARTIAL)
                folder.mkdir(mode=0o700)
                return folder
        raise RuntimeError("no free backup name")  # a thousand backups in one second


@dataclass(frozen=True)
class BackupSet:
    """One complete backup folder: its plain header and manifest, or why they cannot
    be read. An encrypted backup read without its passphrase has only its header."""

    path: Path
    header: Header | None
    manifest: Manifest | None
    problem: str = ""

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def locked(self) -> bool:
        return self.header is not None and self.manifest is None


def read_set(path: Path, vault: Vault = PLAIN) -> BackupSet:
    try:
        header, manifest = manifest_mod.read(path, vault)
    except ManifestError as exc:
        return BackupSet(path, None, None, str(exc))
    if header.encrypted and header.id != path.name:
        return BackupSet(path, None, None, f"its manifest is backup {header.id}'s (it was copied here)")
    return BackupSet(path, header, manifest)


def list_sets(location: Location) -> list[BackupSet]:
    """The complete backups in a location, oldest first (unreadable ones too)."""
    found = [read_set(p, location.vault) for p in location.complete_dirs()]
    return sorted(found, key=lambda s: (s.header.taken_at.timestamp() if s.header else 0.0, s.id))


def open_location(location: Location, passphrase: str | None) -> Location:
    """The location with its vault: unlocked by the passphrase when it is encrypted
    (WrongPassphraseError if it does not fit), still locked when none is given."""
    if not location.encrypted or passphrase is None:
        return location
    return dataclasses.replace(location, vault=unlock(location.root, passphrase))


def resolve(src: Path) -> tuple[Location, Path | None]:
    """A location, or one backup folder inside a location's sets/."""
    src = src.expanduser().resolve()
    if (src / "sets").is_dir():
        return Location(src), None
    if src.parent.name == "sets" and src.is_dir():
        return Location(src.parent.parent), src
    raise NotABackupError(src)


def newest_complete(location: Location) -> BackupSet:
    location.require_open("reading its backups")
    usable = [s for s in list_sets(location) if s.manifest is not None]
    if not usable:
        raise NotABackupError(location.root)
    return usable[-1]
