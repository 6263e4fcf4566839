"""Copying files into a location's pool: hashed while copied, written to a
temporary name and renamed into place. Durability comes once per backup, not
per file: `flush` syncs the location's filesystem (syncfs) before the manifest
is written, so a manifest only ever names files that reached the disk. (One
fsync per file made a backup of 300 documents 30 times slower than a plain
copy; see bench/backup_bench.py.) A pool file left short by a crash before
that point has the wrong size and is copied again by the next backup; one
left damaged is found by the next backup's verification and repaired from the
live file.)

In an encrypted location each file is sealed as it is copied (sealing.py),
hashed on its plain bytes, and named by the location's vault.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from chartdesk.backup.layout import Location
from chartdesk.backup.sealing import CHUNK


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
        self._made: set[Path] = set()

    def has(self, sha256: str, size: int) -> bool:
        try:
            return self.location.pool_path(sha256).stat().st_size == self.location.vault.stored_size(size)
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

    def replace(self, src: Path, sha256: str, size: int) -> None:
        """Copy a file again over a damaged pool file."""
        self.location.pool_path(sha256).unlink(missing_ok=True)
        self.add_known(src, sha256, size)

    def flush(self) -> None:
        """Make everything written so far durable (before the manifest names it)."""
        if self._dirty:
            sync_filesystem(self.location.root)
        self._dirty.clear()

    def _copy(self, src: Path) -> tuple[Path, str, int]:
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.location.tmp, prefix="in-")
        tmp = Path(name)
        try:
            os.close(fd)
            with src.open("rb") as fin, self.location.vault.open_write(tmp) as out:
                while chunk := fin.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, digest.hexdigest(), size

    def _place(self, tmp: Path, sha256: str) -> None:
        final = self.location.pool_path(sha256)  # an HMAC of it in an encrypted location
        if final.parent not in self._made:
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._made.add(final.parent)
        os.chmod(tmp, 0o400)
        os.replace(tmp, final)
        self._dirty.add(final.parent)
        self.copied_files += 1
        self.copied_bytes += final.stat().st_size


def sync_filesystem(path: Path) -> None:
    """syncfs(2) on the filesystem holding `path` (sync(2) where it is missing)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        syncfs = _syncfs()
        if syncfs is None or syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())
