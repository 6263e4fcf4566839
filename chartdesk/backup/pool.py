"""Copying files into a location's pool: hashed while copied, written to a
temporary name, fsynced and renamed, so a pool file is whole or absent. The
folders touched are fsynced once, before the manifest is written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from chartdesk.backup.layout import Location

CHUNK = 1024 * 1024


class SourceDamagedError(Exception):
    """A live file's bytes no longer hash to the SHA-256 it is stored under."""


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class PoolWriter:
    def __init__(self, location: Location) -> None:
        self.location = location
        self.copied_files = 0
        self.copied_bytes = 0
        self._dirty: set[Path] = set()

    def has(self, sha256: str, size: int) -> bool:
        try:
            return self.location.pool_path(sha256).stat().st_size == size
        except FileNotFoundError:
            return False

    def add_known(self, src: Path, sha256: str, size: int) -> None:
        """Copy a file whose SHA-256 is known (a store blob) unless the pool has it.
        Raises SourceDamagedError when the bytes read do not match it."""
        if self.has(sha256, size):
            return
        tmp, found, _ = self._copy(src)
        if found != sha256:
            tmp.unlink()
            raise SourceDamagedError(sha256)
        self._place(tmp, sha256)

    def add(self, src: Path) -> tuple[str, int]:
        """Copy any file in; returns its SHA-256 and size."""
        tmp, sha256, size = self._copy(src)
        if self.has(sha256, size):
            tmp.unlink()
        else:
            self._place(tmp, sha256)
        return sha256, size

    def flush(self) -> None:
        for folder in sorted(self._dirty):
            fsync_dir(folder)
        self._dirty.clear()

    def _copy(self, src: Path) -> tuple[Path, str, int]:
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.location.tmp, prefix="in-")
        tmp = Path(name)
        try:
            with src.open("rb") as fin, os.fdopen(fd, "wb") as out:
                while chunk := fin.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest(), size

    def _place(self, tmp: Path, sha256: str) -> None:
        final = self.location.pool_path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(tmp, 0o400)
        os.replace(tmp, final)
        self._dirty.add(final.parent)
        self.copied_files += 1
        self.copied_bytes += final.stat().st_size


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())
