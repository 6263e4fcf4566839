"""Content-addressed blob store for original files.

A blob is written to a temporary name in the store, fsynced, renamed to its
SHA-256 and the directory fsynced: after a crash at any instant a blob is either
absent or whole. The same bytes are stored once.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from chartdesk.errors import TooLargeError
from chartdesk.faults import fault_point

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path
    already_present: bool


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"

    def ensure(self) -> None:
        self.tmp.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def put_stream(self, stream: BinaryIO, *, max_bytes: int | None = None) -> StoredBlob:
        """Copy a stream into the store, hashing as it goes."""
        self.ensure()
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLargeError(
                            f"the file is larger than the {max_bytes // (1024 * 1024)} MB limit",
                            remedy="split it into smaller files, or ask IT to raise ingest.max_file_mb",
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            fault_point("after_temp_write")
            sha = digest.hexdigest()
            final = self.path(sha)
            if final.is_file() and final.stat().st_size == size:
                tmp_path.unlink()
                return StoredBlob(sha, size, final, already_present=True)
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(tmp_path, final)
            os.chmod(final, 0o400)
            fault_point("after_rename")
            _fsync_dir(final.parent)
            return StoredBlob(sha, size, final, already_present=False)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise

    def put_file(self, path: Path, *, max_bytes: int | None = None) -> StoredBlob:
        with path.open("rb") as f:
            return self.put_stream(f, max_bytes=max_bytes)

    def remove(self, sha256: str) -> bool:
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True

    def verify(self, sha256: str) -> bool:
        """True when the blob exists and its bytes still hash to its name."""
        try:
            return file_sha256(self.path(sha256)) == sha256
        except FileNotFoundError:
            return False

    def iter_hashes(self) -> Iterator[str]:
        for first in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for second in sorted(first.glob("[0-9a-f][0-9a-f]")):
                for blob in sorted(second.iterdir()):
                    if len(blob.name) == 64:
                        yield blob.name

    def clean_temp(self) -> int:
        """Remove temp files left by a crash mid-write. Returns how many."""
        if not self.tmp.is_dir():
            return 0
        count = 0
        for leftover in self.tmp.iterdir():
            leftover.unlink(missing_ok=True)
            count += 1
        return count


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_durably(src: Path, dest: Path) -> None:
    """Copy a file so that `dest` is whole after a crash (temp, fsync, rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    with src.open("rb") as fin, tmp.open("wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)


def write_durably(dest: Path, data: bytes) -> None:
    """Replace `dest` with `data` so that a reader or a crash sees the old file or the
    new one, never part of one: a temp file of this writer's own (two processes may
    write the same file at once), fsynced, renamed over `dest`, the folder fsynced."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask decides, as for open()
    try:
        with os.fdopen(fd, "wb") as fout:
            fout.write(data)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)
