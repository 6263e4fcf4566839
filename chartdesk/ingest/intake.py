"""Taking one complete file from an inbox: check, identify, store, record, remove.

The order is what makes a crash at any instant lose nothing and process nothing
twice: the blob is durably in the store, then the row is committed, and only
then is the inbox file removed. A file found again after a crash (row committed,
inbox file not yet removed) is recognised by its drop identity and just removed.

Rejected files go to quarantine with a reason; each rejected drop is its own
`rejected` row, so earlier attempts stay recorded when the same bytes come back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from chartdesk import audit, quarantine
from chartdesk.access import SYSTEM
from chartdesk.app import App
from chartdesk.audit.events import Actor
from chartdesk.config import InboxSettings, Settings
from chartdesk.db import document_events, documents, utcnow
from chartdesk.errors import BadInputError, EmptyFileError, TooLargeError, UnsafeFileError
from chartdesk.faults import fault_point
from chartdesk.ingest.inspect import inspect_content
from chartdesk.ingest.policy import check_safe
from chartdesk.ingest.sniff import HEAD_BYTES, Sniffed, sniff
from chartdesk.pipeline import enqueue_values, requeue_values
from chartdesk.stages import State
from chartdesk.store import _fsync_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one dropped file.

    status: stored (a new document), duplicate (same bytes as a live document;
    recorded on it), retried (same bytes as a parked document, queued again),
    rejected (quarantined with a reason), leftover (already taken before a crash;
    the inbox copy was removed), gone (vanished before it could be taken).
    """

    status: str
    name: str
    document_id: int | None = None
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """Where a file was dropped: enough to recognise the same drop after a crash."""

    source: str
    inbox: str | None
    relpath: str
    size: int
    mtime_ns: int

    def detail(self) -> dict[str, Any]:
        return {"inbox": self.inbox, "path": self.relpath, "size": self.size, "mtime_ns": self.mtime_ns}


def take(
    app: App,
    path: Path,
    *,
    inbox: InboxSettings | None,
    source: str | None = None,
    remove: bool,
    actor: Actor = SYSTEM,
) -> Outcome:
    """Take one file. `remove` deletes it from where it was once safely stored
    (inboxes); `chartdesk ingest` of a user's own files leaves them in place.
    `actor` is who brought it (the pipeline for inboxes, the user for uploads);
    a new document's arrival is audited in the same transaction as its row."""
    settings = app.settings
    root = inbox.path if inbox else path.parent
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return Outcome("gone", path.name)
    drop = Drop(
        source=source or (inbox.source.value if inbox else "upload"),
        inbox=inbox.name if inbox else None,
        relpath=_relpath(path, root),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )
    try:
        check_safe(path, root)
        sniffed, facts = _check(path, st.st_size, settings)
    except BadInputError as err:
        return _reject(app, path, drop, err, move=remove)
    except FileNotFoundError:
        return Outcome("gone", drop.relpath)
    try:
        blob = app.store.put_file(path, max_bytes=settings.ingest.max_file_bytes)
    except TooLargeError as err:
        return _reject(app, path, drop, err, move=remove)
    flags = dict(facts.get("flags", {}))
    if path.suffix.lower() not in sniffed.extensions:
        flags["extension_mismatch"] = path.suffix.lower() or "(none)"
    with app.db.write() as conn:
        outcome = _record_arrival(conn, blob.sha256, blob.size, sniffed, facts, flags, drop)
        if outcome.status == "stored":
            audit.record(conn, audit.DocumentIngested(principal=actor, document_id=outcome.document_id,
                                                      source=drop.source))
    fault_point("after_commit")
    if remove:
        _remove(path)
    return outcome


def _check(path: Path, size: int, settings: Settings) -> tuple[Sniffed, Mapping[str, Any]]:
    if size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", remedy="scan or save the document again")
    if size > settings.ingest.max_file_bytes:
        raise TooLargeError(
            f"the file is {size / 1048576:.0f} MB, over the {settings.ingest.max_file_mb} MB limit",
            remedy="split it into smaller files, or ask IT to raise ingest.max_file_mb",
        )
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        head = f.read(HEAD_BYTES)
    sniffed = sniff(head)
    return sniffed, inspect_content(path, sniffed, settings)


def _record_arrival(
    conn: Connection,
    sha256: str,
    size: int,
    sniffed: Sniffed,
    facts: Mapping[str, Any],
    flags: dict[str, Any],
    drop: Drop,
) -> Outcome:
    now = utcnow()
    earlier = conn.execute(
        select(documents.c.id, documents.c.state)
        .where(documents.c.sha256 == sha256, documents.c.parent_id.is_(None))  # children share their parent's bytes
        .order_by(documents.c.id)
    ).all()
    live = [r for r in earlier if r.state not in (State.rejected, State.destroyed)]
    if live:
        doc_id, state = live[-1]
        if drop.inbox is not None and _same_drop_recorded(conn, doc_id, drop):
            # Only inbox files are removed after their commit, so only they can be left over.
            return Outcome("leftover", drop.relpath, doc_id)
        if state == State.parked:
            conn.execute(documents.update().where(documents.c.id == doc_id).values(**requeue_values(conn, doc_id, now)))
            _event(conn, doc_id, "retried", now, {**drop.detail(), "previous_state": state})
            return Outcome("retried", drop.relpath, doc_id)
        _event(conn, doc_id, "duplicate_drop", now, drop.detail())
        return Outcome("duplicate", drop.relpath, doc_id)
    destroyed = [r.id for r in earlier if r.state == State.destroyed]
    if destroyed:
        flags["matches_destroyed"] = destroyed
    values = {
        "sha256": sha256,
        "size_bytes": size,
        "media_type": sniffed.media_type,
        "kind": sniffed.kind,
        "original_name": Path(drop.relpath).name,
        "source": drop.source,
        "inbox": drop.inbox,
        "received_at": now,
        "flags": flags,
        "page_count": facts.get("page_count"),
        "updated_at": now,
        **enqueue_values(sniffed.kind, now),
    }
    doc_id = conn.execute(documents.insert().values(**values)).inserted_primary_key[0]
    _event(conn, doc_id, "received", now, {**drop.detail(), "previous_attempts": [r.id for r in earlier]})
    return Outcome("stored", drop.relpath, doc_id)


def _same_drop_recorded(conn: Connection, doc_id: int, drop: Drop) -> bool:
    rows = conn.execute(
        select(document_events.c.detail).where(
            document_events.c.document_id == doc_id,
            document_events.c.kind.in_(("received", "duplicate_drop", "retried")),
        )
    ).scalars()
    wanted = drop.detail()
    return any({k: (d or {}).get(k) for k in wanted} == wanted for d in rows)


def _reject(app: App, path: Path, drop: Drop, err: BadInputError, *, move: bool) -> Outcome:
    """Quarantine a file with its reason, as its own `rejected` document."""
    now = utcnow()
    regular = not isinstance(err, UnsafeFileError)
    sha = _hash(path) if regular else hashlib.sha256(f"unsafe:{drop.relpath}".encode()).hexdigest()
    reason = str(err)
    with app.db.write() as conn:
        doc_id = _leftover_rejection(conn, sha, drop)
        if doc_id is None:
            doc_id = conn.execute(
                documents.insert().values(
                    sha256=sha,
                    size_bytes=drop.size,
                    original_name=Path(drop.relpath).name,
                    source=drop.source,
                    inbox=drop.inbox,
                    received_at=now,
                    state=State.rejected,
                    reason_code=err.code,
                    reason=reason,
                    flags={},
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            _event(conn, doc_id, "received", now, drop.detail())
            _event(conn, doc_id, "rejected", now, {"code": err.code})
        entry = quarantine.entry_for(app.settings, doc_id=doc_id, name=Path(drop.relpath).name, when=now)
        conn.execute(
            documents.update().where(documents.c.id == doc_id).values(quarantine_path=str(entry.path))
        )
    text = quarantine.reason_text(doc_id=doc_id, name=drop.relpath, when=now, code=err.code, reason=reason)
    _quarantine(app.settings, path, entry, text, move=move, regular=regular)
    log.info("rejected document %s: %s", doc_id, err.code)
    return Outcome("rejected", drop.relpath, doc_id, err.code, reason)


def _quarantine(settings: Settings, path: Path, entry: quarantine.QuarantineEntry, text: str, *, move: bool,
                regular: bool) -> None:
    if regular:
        quarantine.put_file(settings, path, entry, text, move=move)
        return
    # A link, pipe or device: keep the thing itself (renamed), never its target.
    entry.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if move:
        try:
            os.rename(path, entry.path)
        except OSError:
            if os.path.islink(path):
                os.symlink(os.readlink(path), entry.path)
            path.unlink()
    quarantine.write_durably(entry.reason_path, text.encode("utf-8"))


def _leftover_rejection(conn: Connection, sha: str, drop: Drop) -> int | None:
    """A rejected row for this very drop whose quarantine step a crash cut short."""
    rows = conn.execute(
        select(documents.c.id, documents.c.quarantine_path).where(
            documents.c.sha256 == sha, documents.c.state == State.rejected
        )
    ).all()
    for doc_id, qpath in rows:
        if _same_drop_recorded(conn, doc_id, drop) and not (qpath and Path(qpath).exists()):
            return doc_id
    return None


def _event(conn: Connection, doc_id: int, kind: str, at: dt.datetime, detail: Mapping[str, Any]) -> None:
    conn.execute(document_events.insert().values(document_id=doc_id, at=at, kind=kind, detail=dict(detail)))


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        return
    _fsync_dir(path.parent)


def _relpath(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name
