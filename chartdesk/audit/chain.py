"""The hash chain: one function appends an event, one walks the chain.

Each event's hash is HMAC-SHA256(key, canonical(event fields, seq, previous hash)).
`record` runs inside the caller's write transaction: it locks the head row
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite the caller's BEGIN IMMEDIATE
already serialises writers), appends seq = head + 1 and moves the head, so
several processes writing at once still make one chain. Before appending it
writes the signed checkpoint of the head it found, which is committed (the
checkpoint trails the log by at most one transaction).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from chartdesk.audit.events import AuditEvent
from chartdesk.audit.keys import (
    AuditKey,
    checkpoint_valid,
    load_key,
    paths_for,
    read_checkpoint,
    write_checkpoint,
)
from chartdesk.db import audit_events, audit_head, utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_TXN_MARK = "chartdesk_audit_txn"


def record(conn: Connection, event: AuditEvent) -> int:
    """Append `event` to the audit chain in the caller's write transaction
    (`with app.db.write() as conn`). Returns its sequence number."""
    _require_write(conn)
    head_seq, head_hash = _lock_head(conn)
    key_file, checkpoint_file = paths_for(conn)
    key = load_key(key_file, create=head_seq == 0)
    if _first_in_transaction(conn):
        _advance_checkpoint(checkpoint_file, key, head_seq, head_hash)
    row = _row(event, head_seq + 1, head_hash, key)
    conn.execute(audit_events.insert().values(**row))
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=row["seq"], hash=row["hash"]))
    log.debug("audit event %s recorded as %s", event.action, row["seq"])
    return int(row["seq"])


def _require_write(conn: Connection) -> None:
    if conn.dialect.name == "sqlite" and conn.get_execution_options().get("chartdesk_begin") != "IMMEDIATE":
        raise RuntimeError("audit.record needs the caller's db.write() transaction")


def _lock_head(conn: Connection) -> tuple[int, str]:
    query = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    row = conn.execute(query).first()
    if row is None:  # a database created before the head row existed
        conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))
        return 0, GENESIS
    return int(row.seq), str(row.hash)


def _first_in_transaction(conn: Connection) -> bool:
    txn = conn.get_transaction()
    if conn.info.get(_TXN_MARK) is txn:
        return False
    conn.info[_TXN_MARK] = txn
    return True


def _advance_checkpoint(path: Any, key: AuditKey, seq: int, hash_: str) -> None:
    """Move the checkpoint forward to the committed head. A missing (after the
    first event), damaged or ahead-of-the-log checkpoint is left for `verify` to
    report: re-creating it here would hide a cut-off or restored log."""
    current = read_checkpoint(path)
    if current is None:
        if seq == 0:
            write_checkpoint(path, key, seq, hash_)
        else:
            log.warning("the audit checkpoint file is missing; run `chartdesk audit verify`")
    elif not checkpoint_valid(key, current):
        log.warning("the audit checkpoint file is damaged; run `chartdesk audit verify`")
    elif current.seq < seq:
        write_checkpoint(path, key, seq, hash_)


def _row(event: AuditEvent, seq: int, prev_hash: str, key: AuditKey) -> dict[str, Any]:
    principal = event.principal
    row: dict[str, Any] = {
        "seq": seq,
        "at": utcnow(),
        "actor": principal.username[:64],
        "actor_id": principal.user_id,
        "role": principal.role[:32],
        "action": event.action,
        "document_id": event.document_id,
        "patient_id": event.patient_id,
        "outcome": event.outcome,
        "client": principal.client[:200],
        "break_glass": int(event.break_glass),
        "detail": canonical(event.detail),
        "key_id": key.key_id,
        "prev_hash": prev_hash,
    }
    row["hash"] = event_hash(key, row)
    return row


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_HASHED = ("seq", "at", "actor", "actor_id", "role", "action", "document_id", "patient_id",
           "outcome", "client", "break_glass", "detail", "key_id", "prev_hash")


def event_hash(key: AuditKey, row: Any) -> str:
    """The HMAC of one stored event (a mapping or a result row)."""
    values = [_hashable(row[name]) for name in _HASHED]
    return key.mac(json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode())


def _hashable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


# ── verification ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class VerifyReport:
    """What `verify` found. `first_bad` is the sequence number of the first event
    that cannot be trusted (None when the chain is whole)."""

    ok: bool
    events_checked: int
    head_seq: int
    first_bad: int | None = None
    problem: str = ""


def verify(conn: Connection, key: AuditKey, checkpoint_file: Any, *, batch: int = 2000) -> VerifyReport:
    """Walk the whole chain and compare its end with the head row and the
    checkpoint kept outside the database."""
    expected_seq, prev, last_hash, checked = 1, GENESIS, GENESIS, 0
    for row in _rows(conn, batch):
        problem = _check_row(row, expected_seq, prev, key)
        if problem:
            return VerifyReport(ok=False, events_checked=checked, head_seq=expected_seq - 1,
                                first_bad=int(row.seq), problem=problem)
        checked += 1
        expected_seq, prev, last_hash = int(row.seq) + 1, str(row.hash), str(row.hash)
    last_seq = expected_seq - 1
    problem, bad = _check_end(conn, key, checkpoint_file, last_seq, last_hash)
    if problem:
        return VerifyReport(ok=False, events_checked=checked, head_seq=last_seq, first_bad=bad, problem=problem)
    return VerifyReport(ok=True, events_checked=checked, head_seq=last_seq)


def _rows(conn: Connection, batch: int) -> Iterator[Any]:
    after = 0
    while True:
        rows = conn.execute(
            select(audit_events).where(audit_events.c.seq > after).order_by(audit_events.c.seq).limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = int(rows[-1].seq)


def _check_row(row: Any, expected_seq: int, prev: str, key: AuditKey) -> str:
    if int(row.seq) != expected_seq:
        return f"events {expected_seq} to {int(row.seq) - 1} are missing (deleted) before event {row.seq}"
    if row.prev_hash != prev:
        return f"event {row.seq} does not follow event {expected_seq - 1} (inserted, reordered or edited)"
    if row.key_id != key.key_id:
        return f"event {row.seq} was signed with a different key (rewritten, or the wrong key file)"
    if not hmac.compare_digest(event_hash(key, row._mapping), str(row.hash)):
        return f"event {row.seq} has been altered (its contents do not match its signature)"
    return ""


def _check_end(conn: Connection, key: AuditKey, checkpoint_file: Any, last_seq: int, last_hash: str) -> tuple[str, int | None]:
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    if head is None or int(head.seq) != last_seq or head.hash != last_hash:
        seq = None if head is None else int(head.seq)
        return f"the log ends at event {last_seq} but its head says {seq} (events cut off the end)", last_seq + 1
    cp = read_checkpoint(checkpoint_file)
    if cp is None:
        return ("", None) if last_seq == 0 else (f"the checkpoint file {checkpoint_file} is missing", None)
    if not checkpoint_valid(key, cp):
        return f"the checkpoint file {checkpoint_file} is damaged or was not signed with this key", None
    if cp.seq > last_seq:
        return f"the log ends at event {last_seq} but the checkpoint says {cp.seq} (cut off or restored from an older copy)", last_seq + 1
    stored = conn.execute(select(audit_events.c.hash).where(audit_events.c.seq == cp.seq)).scalar()
    if cp.seq > 0 and stored != cp.hash:
        return f"event {cp.seq} differs from the checkpoint (the log was rewritten)", cp.seq
    return "", None


def reset_checkpoint(conn: Connection, key: AuditKey, checkpoint_file: Any) -> int:
    """Sign a checkpoint at the current head, for when the checkpoint file was
    lost or damaged. Only after `verify` found the chain itself whole (inside a
    write transaction, so no event is appended meanwhile)."""
    _require_write(conn)
    seq, hash_ = _lock_head(conn)
    write_checkpoint(checkpoint_file, key, seq, hash_)
    return seq
