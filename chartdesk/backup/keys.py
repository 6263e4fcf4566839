"""An encrypted location's key, and the passphrase that opens it.

LOCATION/key.json holds a random 256-bit data key wrapped with AES-256-GCM by
a key derived from the passphrase with Argon2id (memory-hard: guessing costs
64 MiB and three passes per try), with the salt and parameters used. Changing
the passphrase (`rewrap`) wraps the same data key again under a new salt; the
files stay as they are. A wrong passphrase fails the wrap's authentication: it
never yields a wrong key.

The passphrase comes from the environment variable CHARTDESK_BACKUP_PASSPHRASE,
else from the file `[backup] passphrase_file` names (first line; only its owner
may read it). It is never logged and never written to the location.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chartdesk.backup.errors import PASSPHRASE_ENV, WrongPassphraseError
from chartdesk.backup.sealing import SealedVault
from chartdesk.config import BackupSettings
from chartdesk.errors import ConfigError
from chartdesk.store import write_durably

KEY_FILE = "key.json"
KIND = "chartdesk-backup-key"
FORMAT = 1
MIN_PASSPHRASE = 12
ARGON2 = {"time_cost": 3, "memory_kib": 65536, "parallelism": 4}
_LIMITS = {"time_cost": (1, 20), "memory_kib": (8192, 4 * 1024 * 1024), "parallelism": (1, 16)}
_WRAP_AAD = b"chartdesk-backup data key v1"


def read_passphrase(settings: BackupSettings | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The backup passphrase from the environment or backup.passphrase_file; None when neither is set."""
    value = environ.get(PASSPHRASE_ENV, "")
    if value:
        return value
    path = settings.passphrase_file if settings is not None else None
    if path is None:
        return None
    try:
        mode = path.stat().st_mode
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path} named by backup.passphrase_file ({exc.strerror})",
                          remedy="make it readable by chartdesk's account (and nobody else)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} named by backup.passphrase_file may be read by others "
                          f"(mode {stat.S_IMODE(mode):04o})", remedy=f"run `chmod 600 {path}`")
    if not lines or not lines[0].strip():
        raise ConfigError(f"{path} named by backup.passphrase_file is empty",
                          remedy="write the backup passphrase on its first line")
    return lines[0].strip()


def create_key(root: Path, passphrase: str) -> SealedVault:
    """A new data key for the location at `root`, wrapped into root/key.json."""
    data_key = os.urandom(32)
    _wrap(root, data_key, passphrase)
    return SealedVault(data_key)


def rewrap(root: Path, old: str, new: str) -> None:
    """Wrap the location's data key under a new passphrase (WrongPassphraseError if
    `old` does not open it). key.json is replaced in one step; nothing else changes."""
    _wrap(root, _unwrap(root, old), new)


def unlock(root: Path, passphrase: str) -> SealedVault:
    """The location's data key, or WrongPassphraseError."""
    return SealedVault(_unwrap(root, passphrase))


def _wrap(root: Path, data_key: bytes, passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ConfigError(f"the backup passphrase has fewer than {MIN_PASSPHRASE} characters",
                          remedy="choose a longer one (a few unrelated words) for backup.passphrase_file "
                                 f"or {PASSPHRASE_ENV}")
    salt = os.urandom(16)
    nonce = os.urandom(12)
    wrapped = AESGCM(_derive(passphrase, salt, ARGON2)).encrypt(nonce, data_key, _WRAP_AAD)
    body = {
        "kind": KIND, "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kdf": {"name": "argon2id", **ARGON2, "salt": _b64(salt)},
        "cipher": "AES-256-GCM", "wrapped_key": _b64(nonce + wrapped),
    }
    write_durably(root / KEY_FILE, (json.dumps(body, indent=2) + "\n").encode("utf-8"))
    os.chmod(root / KEY_FILE, 0o600)


def _unwrap(root: Path, passphrase: str) -> bytes:
    kdf, wrapped = _read(root)
    key = _derive(passphrase, kdf["salt"], kdf)
    try:
        return AESGCM(key).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
    except InvalidTag:
        raise WrongPassphraseError(root) from None


def _read(root: Path) -> tuple[dict, bytes]:
    damaged = ConfigError(f"the key file {root / KEY_FILE} of this encrypted backup location is damaged",
                          remedy="restore key.json from a copy of this disk; without it these backups cannot be read")
    try:
        body = json.loads((root / KEY_FILE).read_text(encoding="utf-8"))
        if body.get("kind") != KIND or body.get("format") != FORMAT or body["kdf"]["name"] != "argon2id":
            raise damaged
        kdf = {name: int(body["kdf"][name]) for name in ARGON2}
        if any(not low <= kdf[name] <= high for name, (low, high) in _LIMITS.items()):
            raise damaged
        salt = base64.b64decode(body["kdf"]["salt"], validate=True)
        wrapped = base64.b64decode(body["wrapped_key"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise damaged from None
    if len(wrapped) != 12 + 32 + 16 or len(salt) < 16:
        raise damaged
    return {**kdf, "salt": salt}, wrapped


def _derive(passphrase: str, salt: bytes, params: Mapping[str, object]) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost=int(params["time_cost"]),  # type: ignore[call-overload]
                           memory_cost=int(params["memory_kib"]), parallelism=int(params["parallelism"]),  # type: ignore[call-overload]
                           hash_len=32, type=Type.ID)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
