"""A backup location on disk.

    LOCATION/
      README.txt            what this folder is (for whoever finds the disk)
      .lock                 held by `backup create` and `backup prune` (one at a time)
      pool/ab/<sha256>      every file kept by any backup here, once (originals, page images, ...);
                            one level of 256 folders (two levels made a folder per file)
      sets/<id>/            one backup: manifest.json, database copy, keys/, config.toml
      sets/<id>.partial/    a backup being written (or interrupted; prune removes it)
      tmp/                  files being copied into the pool

A backup folder is complete once it has its manifest and lost its `.partial`
name; only complete backups are restored, listed or counted as holding files.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chartdesk.backup import manifest as manifest_mod
from chartdesk.backup.errors import LocationBusyError, NotABackupError
from chartdesk.backup.manifest import Manifest, ManifestError

PARTIAL = ".partial"
README = """This folder holds chartdesk backups (patient records: keep it locked away).
Restore one with `chartdesk restore THIS-FOLDER` (the newest) or
`chartdesk restore THIS-FOLDER/sets/<id>`; check them with `chartdesk backup verify`.
"""


@dataclass(frozen=True)
class Location:
    root: Path

    @property
    def pool(self) -> Path:
        return self.root / "pool"

    @property
    def sets(self) -> Path:
        return self.root / "sets"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def pool_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.pool / sha256[:2] / sha256

    def exists(self) -> bool:
        return self.sets.is_dir()

    def ensure(self) -> None:
        for folder in (self.root, self.pool, self.sets, self.tmp):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        readme = self.root / "README.txt"
        if not readme.exists():
            readme.write_text(README, encoding="utf-8")

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
    """One complete backup folder and its manifest (or why it cannot be read)."""

    path: Path
    manifest: Manifest | None
    problem: str = ""

    @property
    def id(self) -> str:
        return self.path.name


def read_set(path: Path) -> BackupSet:
    try:
        return BackupSet(path, manifest_mod.read(path))
    except ManifestError as exc:
        return BackupSet(path, None, str(exc))


def list_sets(location: Location) -> list[BackupSet]:
    """The complete backups in a location, oldest first (unreadable ones too)."""
    found = [read_set(p) for p in location.complete_dirs()]
    return sorted(found, key=lambda s: (s.manifest.taken_at.timestamp() if s.manifest else 0.0, s.id))


def resolve(src: Path) -> tuple[Location, Path | None]:
    """A location, or one backup folder inside a location's sets/."""
    src = src.expanduser().resolve()
    if (src / "sets").is_dir():
        return Location(src), None
    if src.parent.name == "sets" and src.is_dir():
        return Location(src.parent.parent), src
    raise NotABackupError(src)


def newest_complete(location: Location) -> BackupSet:
    usable = [s for s in list_sets(location) if s.manifest is not None]
    if not usable:
        raise NotABackupError(location.root)
    return usable[-1]
