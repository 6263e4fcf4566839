"""The audit key and the checkpoint file: both live outside the database.

The key (32 random bytes, hex, in a 0600 file) keys the HMAC chain; without it
no one can forge an event that `verify` accepts. The checkpoint file holds the
chain's last committed (seq, hash), signed with the key: restoring an older
database or cutting events off the end leaves the log behind the checkpoint.

`record` only has the caller's connection, so the two paths are kept in the
`meta` table by `ensure_ready` (called at `chartdesk init`); on SQLite they
default to <data_dir>/keys/, next to the database file, as in Settings.keys_dir.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from chartdesk.config import Settings
from chartdesk.db import get_meta, set_meta
from chartdesk.errors import ConfigError

KEY_META = "audit.key_file"
CHECKPOINT_META = "audit.checkpoint_file"
KEY_NAME = "audit.key"
CHECKPOINT_NAME = "audit-checkpoint.json"


@dataclass(frozen=True)
class AuditKey:
    secret: bytes
    path: Path

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"chartdesk-audit-key-id" + self.secret).hexdigest()[:16]

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    mac: str


def key_path(settings: Settings) -> Path:
    return settings.access.audit_key_file or settings.keys_dir / KEY_NAME


def checkpoint_path(settings: Settings) -> Path:
    return settings.access.audit_checkpoint_file or settings.keys_dir / CHECKPOINT_NAME


def paths_for(conn: Connection) -> tuple[Path, Path]:
    """The key and checkpoint paths this database's writers use."""
    key, cp = get_meta(conn, KEY_META), get_meta(conn, CHECKPOINT_META)
    if key and cp:
        return Path(key), Path(cp)
    url = make_url(str(conn.engine.url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        keys_dir = Path(url.database).resolve().parent / "keys"
        return Path(key) if key else keys_dir / KEY_NAME, Path(cp) if cp else keys_dir / CHECKPOINT_NAME
    raise ConfigError("the audit log is not set up for this database", remedy="run `chartdesk init`")


def record_paths(conn: Connection, settings: Settings) -> None:
    """Remember the configured paths in the database (for `record`)."""
    for name, path in ((KEY_META, key_path(settings)), (CHECKPOINT_META, checkpoint_path(settings))):
        if get_meta(conn, name) != str(path):
            set_meta(conn, name, str(path))


_cache: dict[Path, tuple[int, AuditKey]] = {}


def load_key(path: Path, *, create: bool = False) -> AuditKey:
    """Read the key (cached per file and mtime); with `create`, make it when absent."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        if not create:
            raise ConfigError(
                f"the audit key file {path} is missing",
                remedy="restore it from the backup of the keys folder; without it the audit log cannot be verified",
            ) from None
        return _create_key(path)
    cached = _cache.get(path)
    if cached and cached[0] == stat.st_mtime_ns:
        return cached[1]
    key = _parse_key(path)
    _cache[path] = (stat.st_mtime_ns, key)
    return key


def _parse_key(path: Path) -> AuditKey:
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except ValueError:
        secret = b""
    if len(secret) < 32:
        raise ConfigError(f"the audit key file {path} is damaged", remedy="restore it from backup")
    return AuditKey(secret, path)


def _create_key(path: Path) -> AuditKey:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return load_key(path)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return load_key(path)


def _checkpoint_message(seq: int, hash_: str) -> bytes:
    return f"chartdesk-audit-checkpoint|{seq}|{hash_}".encode()


def read_checkpoint(path: Path) -> Checkpoint | None:
    try:
        data = json.loads(path.read_text())
        return Checkpoint(int(data["seq"]), str(data["hash"]), str(data["mac"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return Checkpoint(-1, "", "")  # unreadable: verify reports it


def checkpoint_valid(key: AuditKey, cp: Checkpoint) -> bool:
    return hmac.compare_digest(key.mac(_checkpoint_message(cp.seq, cp.hash)), cp.mac)


def write_checkpoint(path: Path, key: AuditKey, seq: int, hash_: str) -> None:
    """Atomically replace the checkpoint (temp file, fsync, rename). Called with
    the chain's head locked, so writers take turns."""
    body = json.dumps({"seq": seq, "hash": hash_, "mac": key.mac(_checkpoint_message(seq, hash_))})
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(body + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
