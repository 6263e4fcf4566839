"""Encryption at rest for a backup location: files are sealed in streaming chunks.

A `Vault` turns plain bytes into what the location stores and back. The plain
vault (`PLAIN`, for locations made unencrypted) stores bytes as they are. An
encrypted vault holds the location's data key (see keys.py) and:

- names pool files by HMAC-SHA256(name key, SHA-256 of the plain bytes), so the
  location does not confirm which known files it holds, while the same file is
  still stored once;
- seals every file as `MAGIC | salt (16 bytes) | chunk | chunk | ...`. Each file
  has its own AES-256-GCM key, HMAC-SHA256(file key, salt), from a random salt;
  a chunk is 1 MiB of plain bytes plus a 16-byte tag, its nonce is its number
  (11 bytes) and a final flag (1 byte), and the header is the associated data.
  Chunks therefore cannot be altered, reordered, dropped, moved from another
  file or cut off at the end without the reader noticing; the last chunk is the
  only one shorter than a full chunk (it may be empty) and carries the flag.

Files are never held whole in memory: readers and writers go chunk by chunk.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 1024 * 1024
TAG = 16
SALT = 16
MAGIC = b"CDBKENC1"
HEADER = len(MAGIC) + SALT


class SealError(ValueError):
    """A sealed file does not open: the text says why, without naming the file."""


class Vault:
    """The plain vault: files stored as they are, pool files named by SHA-256."""

    encrypted = False

    def name(self, sha256: str) -> str:
        return sha256

    def stored_size(self, size: int) -> int:
        return size

    def open_write(self, path: Path) -> BinaryIO:
        return path.open("wb")

    def open_read(self, path: Path) -> BinaryIO:
        return path.open("rb")

    def seal_bytes(self, data: bytes) -> bytes:
        return data

    def open_bytes(self, data: bytes) -> bytes:
        return data


PLAIN = Vault()


class SealedVault(Vault):
    """A location's data key at work (see the module's note)."""

    encrypted = True

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != 32:
            raise ValueError("a data key has 32 bytes")
        self._files = _derive(data_key, b"chartdesk-backup file encryption")
        self._names = _derive(data_key, b"chartdesk-backup pool names")

    def name(self, sha256: str) -> str:
        return hmac.digest(self._names, sha256.encode("ascii"), "sha256").hex()

    def stored_size(self, size: int) -> int:
        return HEADER + size + TAG * (size // CHUNK + 1)

    def open_write(self, path: Path) -> BinaryIO:
        return SealedWriter(path.open("wb"), self._files)  # type: ignore[return-value]

    def open_read(self, path: Path) -> BinaryIO:
        return io.BufferedReader(SealedReader(path.open("rb"), self._files), CHUNK)  # type: ignore[return-value]

    def seal_bytes(self, data: bytes) -> bytes:
        out = io.BytesIO()
        writer = SealedWriter(out, self._files, close_target=False)
        writer.write(data)
        writer.close()
        return out.getvalue()

    def open_bytes(self, data: bytes) -> bytes:
        return SealedReader(io.BytesIO(data), self._files).readall()


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.digest(key, label, "sha256")


def _nonce(number: int, *, final: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


class SealedWriter(io.RawIOBase):
    """Seals what is written, a chunk at a time; `close` writes the final chunk
    (so fsync the file after closing it: it has no fileno of its own)."""

    def __init__(self, target: BinaryIO, files_key: bytes, *, close_target: bool = True) -> None:
        super().__init__()
        salt = os.urandom(SALT)
        self._header = MAGIC + salt
        self._aead = AESGCM(_derive(files_key, salt))
        self._target = target
        self._close_target = close_target
        self._buffer = bytearray()
        self._number = 0
        target.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._emit(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._target.flush()
        finally:
            if self._close_target:
                self._target.close()
            super().close()

    def _emit(self, plain: bytes, *, final: bool) -> None:
        self._target.write(self._aead.encrypt(_nonce(self._number, final=final), plain, self._header))
        self._number += 1


class SealedReader(io.RawIOBase):
    """Opens a sealed file chunk by chunk; SealError when it was altered, reordered or cut off."""

    def __init__(self, source: BinaryIO, files_key: bytes) -> None:
        super().__init__()
        self._source = source
        header = _read_exactly(source, HEADER)
        if len(header) < HEADER or not header.startswith(MAGIC):
            source.close()
            raise SealError("it is not an encrypted backup file, or its beginning is damaged")
        self._header = header
        self._aead = AESGCM(_derive(files_key, header[len(MAGIC):]))
        self._pending = b""
        self._number = 0
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending and not self._ended:
            self._pending = self._next_chunk()
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _next_chunk(self) -> bytes:
        sealed = _read_exactly(self._source, CHUNK + TAG)
        final = len(sealed) < CHUNK + TAG
        if final and len(sealed) < TAG:
            where = "part of a chunk" if sealed else "its last chunk"
            raise SealError(f"it is cut off ({where} is missing after chunk {self._number})")
        try:
            plain = self._aead.decrypt(_nonce(self._number, final=final), sealed, self._header)
        except InvalidTag:
            raise SealError(f"its chunk {self._number + 1} fails its authentication check "
                            "(altered, moved from elsewhere, or cut off)") from None
        self._number += 1
        if final:
            self._ended = True
            if self._source.read(1):
                raise SealError("it has bytes after its final chunk")
        return plain

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = source.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def copy_in(src: Path, dest: Path, vault: Vault) -> tuple[str, int]:
    """Store a local file at `dest` through the vault (temp, fsync, rename);
    returns the SHA-256 and size of its plain bytes."""
    digest = hashlib.sha256()
    size = 0
    tmp = dest.with_name(f".{dest.name}.tmp")
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with src.open("rb") as fin, vault.open_write(tmp) as out:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        _fsync(tmp)  # after close: a sealed file's last chunk is written by close
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_out(src: Path, dest: Path, vault: Vault, *, mode: int = 0o600) -> tuple[str, int]:
    """The plain bytes of a stored file written to `dest` (temp, fsync, rename);
    returns their SHA-256 and size. SealError when the file does not open."""
    digest = hashlib.sha256()
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(f".{dest.name}.restoring")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with vault.open_read(src) as fin, os.fdopen(fd, "wb") as out:
            while chunk := fin.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def hash_stored(path: Path, vault: Vault) -> tuple[str, int]:
    """SHA-256 and size of a stored file's plain bytes (SealError when it does not open)."""
    digest = hashlib.sha256()
    size = 0
    with vault.open_read(path) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
