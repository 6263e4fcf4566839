"""The manifest: what one backup holds, written last (its presence marks the
backup complete) and read by verify, restore, prune and `backups_holding`.

Original files, page images, quarantined files and the classifier model live
in the location's shared pool by SHA-256 and are listed here; the database
copy, the audit key and checkpoint and the config file live in the backup's own
folder and are listed in `files` with their size and SHA-256.

In an encrypted location the manifest is sealed, and beside it stays a plain
header that `backup list` and `backup prune` read without the passphrase: the
backup's id, when it was taken, the retention setting then, and that it is
encrypted. Nothing else (no counts, names, sizes or checksums) is readable
without the passphrase. The sealed body repeats the header, and a header that
disagrees with it is reported.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chartdesk.backup.sealing import PLAIN, SealError, Vault

FORMAT = 1
KIND = "chartdesk-backup"
NAME = "manifest.json"


class ManifestError(ValueError):
    """The manifest is missing, cut off or not one of ours (the text says which)."""


@dataclass(frozen=True)
class FileEntry:
    """A file in the backup's own folder (database copy, keys, config)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class PoolEntry:
    """A file kept in the pool: `area` is store, derived, quarantine or model;
    `path` is relative to that area in the data directory (store: the SHA-256)."""

    area: str
    path: str
    sha256: str
    size: int
    mtime_ns: int = 0


@dataclass(frozen=True)
class AuditInfo:
    head_seq: int
    key_id: str
    checkpoint_seq: int
    verified: bool
    problem: str = ""


@dataclass(frozen=True)
class DatabaseInfo:
    file: str
    compression: str
    raw_size: int
    raw_sha256: str
    schema_version: str


@dataclass(frozen=True)
class Header:
    """What anyone may read of a backup: enough to list it and to age it out."""

    id: str
    taken_at: dt.datetime
    retention_days: int
    encrypted: bool


@dataclass(frozen=True)
class Manifest:
    id: str
    taken_at: dt.datetime
    chartdesk_version: str
    database: DatabaseInfo
    audit: AuditInfo
    files: dict[str, FileEntry]
    pool: tuple[PoolEntry, ...]
    counts: dict[str, int] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # originals the database names that could not be copied (SHA-256)
    retention_days: int = 0  # the setting when the backup was taken

    def sha256s(self) -> frozenset[str]:
        return frozenset(e.sha256 for e in self.pool)

    def originals(self) -> tuple[PoolEntry, ...]:
        return tuple(e for e in self.pool if e.area == "store")

    @property
    def header(self) -> Header:
        return Header(self.id, self.taken_at, self.retention_days, encrypted=False)

    def to_json(self, vault: Vault = PLAIN) -> str:
        body: dict[str, Any] = {"format": FORMAT, "kind": KIND, **asdict(self)}
        body["taken_at"] = self.taken_at.isoformat()
        body["pool"] = [[e.area, e.path, e.sha256, e.size, e.mtime_ns] for e in self.pool]
        text = json.dumps(body, separators=(",", ":"), sort_keys=True) + "\n"
        if not vault.encrypted:
            return text
        sealed = base64.b64encode(vault.seal_bytes(text.encode("utf-8"))).decode("ascii")
        header = {"format": FORMAT, "kind": KIND, "id": self.id, "taken_at": body["taken_at"],
                  "retention_days": self.retention_days, "encrypted": True, "sealed": sealed}
        return json.dumps(header, separators=(",", ":"), sort_keys=True) + "\n"


def parse(text: str, vault: Vault = PLAIN) -> tuple[Header, Manifest | None]:
    """The header, and the manifest (None: encrypted, and the vault cannot open it)."""
    body = _load(text)
    if not body.get("encrypted"):
        if vault.encrypted:
            raise ManifestError("its manifest is not encrypted, in an encrypted location (it was replaced)")
        manifest = _manifest(body)
        return manifest.header, manifest
    try:
        header = Header(str(body["id"]), dt.datetime.fromisoformat(body["taken_at"]),
                        int(body["retention_days"]), encrypted=True)
        sealed = base64.b64decode(body["sealed"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ManifestError(f"its manifest is incomplete ({type(exc).__name__})") from None
    if not vault.encrypted:
        return header, None
    try:
        inner = _load(vault.open_bytes(sealed).decode("utf-8"))
    except (SealError, UnicodeDecodeError) as exc:
        raise ManifestError(f"its manifest does not open: {exc}") from None
    manifest = _manifest(inner)
    if (manifest.id, manifest.taken_at, manifest.retention_days) != (header.id, header.taken_at,
                                                                     header.retention_days):
        raise ManifestError("its manifest's plain header does not match its encrypted body (it was edited)")
    return header, manifest


def _load(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise ManifestError("its manifest is cut off or damaged") from None
    if not isinstance(body, dict) or body.get("kind") != KIND:
        raise ManifestError("its manifest is not a chartdesk backup manifest")
    if body.get("format") != FORMAT:
        raise ManifestError(f"its manifest has format {body.get('format')!r}; this chartdesk reads format {FORMAT}")
    return body


def _manifest(body: dict[str, Any]) -> Manifest:
    try:
        return _build(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"its manifest is incomplete ({type(exc).__name__})") from None


def _build(body: dict[str, Any]) -> Manifest:
    return Manifest(
        id=str(body["id"]),
        taken_at=dt.datetime.fromisoformat(body["taken_at"]),
        chartdesk_version=str(body["chartdesk_version"]),
        database=DatabaseInfo(**body["database"]),
        audit=AuditInfo(**body["audit"]),
        files={name: FileEntry(**entry) for name, entry in body["files"].items()},
        pool=tuple(PoolEntry(str(a), str(p), str(s), int(n), int(m)) for a, p, s, n, m in body["pool"]),
        counts={str(k): int(v) for k, v in body.get("counts", {}).items()},
        missing=tuple(body.get("missing", ())),
        retention_days=int(body.get("retention_days", 0)),
    )


def read(folder: Path, vault: Vault = PLAIN) -> tuple[Header, Manifest | None]:
    try:
        return parse((folder / NAME).read_text(encoding="utf-8"), vault)
    except FileNotFoundError:
        raise ManifestError("it has no manifest: the backup did not finish (interrupted or cut off)") from None
    except UnicodeDecodeError:
        raise ManifestError("its manifest is damaged") from None
