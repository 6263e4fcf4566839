"""Every document's computed disposition, kept in `retention_schedule`.

`refresh_schedule` recomputes the disposition of every document from its facts
(class, patient, own date, received date, the patient's birth date and last
encounter, the newest review decision) and the rules in config, and rewrites
the rows whose inputs changed. It runs before anything reads the schedule
(plans, applies, the Retention pages), so a changed class, a move to another
chart, a new encounter or a changed rule is always taken into account.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from chartdesk.config import RetentionRule, Settings
from chartdesk.db import (
    Database,
    documents,
    encounters,
    patients,
    retention_reviews,
    retention_schedule,
    utcnow,
)
from chartdesk.retention.rules import Disposition, Facts, compute, inputs_hash

log = logging.getLogger(__name__)

# Documents that are not records in their own right: gone, refused into quarantine
# (purged with the quarantine), or a fax whose pages now live in its parts.
NOT_SCHEDULED = ("destroyed", "rejected", "split")
BATCH = 2000


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """A document's row as the schedule reads it."""

    id: int
    doc_class: str | None
    patient_id: int | None
    state: str
    facts: Facts


def rule_for(settings: Settings, doc_class: str | None) -> tuple[str | None, RetentionRule | None]:
    """The retention class and rule of a document class (None, None: no class or an unknown one)."""
    cls = settings.classes.get(doc_class) if doc_class else None
    if cls is None:
        return None, None
    return cls.retention, settings.retention.rules[cls.retention]


def disposition(settings: Settings, doc: DocumentFacts) -> tuple[Disposition, str]:
    """A document's disposition and the hash of its inputs."""
    name, rule = rule_for(settings, doc.doc_class)
    majority = settings.retention.age_of_majority
    return compute(name, rule, doc.facts, age_of_majority=majority), inputs_hash(name, rule, doc.facts, majority)


def refresh_schedule(db: Database, settings: Settings) -> int:
    """Recompute every document's disposition; returns how many rows changed."""
    changed = 0
    last = 0
    while True:
        with db.read() as conn:
            docs = load_facts(conn, after=last, limit=BATCH)
            if not docs:
                break
            stored = _stored_inputs(conn, [d.id for d in docs])
        rows = [(d, *disposition(settings, d)) for d in docs]
        stale = [(d, disp, h) for d, disp, h in rows if stored.get(d.id) != h]
        if stale:
            with db.write() as conn:
                _write(conn, stale)
            changed += len(stale)
        last = docs[-1].id
    with db.write() as conn:
        _drop_unscheduled(conn)
    if changed:
        log.info("retention schedule: %d document(s) recomputed", changed)
    return changed


def refresh_documents(conn: Connection, settings: Settings, doc_ids: Sequence[int]) -> dict[int, Disposition]:
    """Recompute some documents inside the caller's write transaction (apply re-checks
    each document this way just before it acts)."""
    docs = load_facts(conn, ids=doc_ids)
    out = {}
    for doc in docs:
        disp, digest = disposition(settings, doc)
        _write(conn, [(doc, disp, digest)])
        out[doc.id] = disp
    return out


def load_facts(conn: Connection, *, after: int = 0, limit: int | None = None,
               ids: Sequence[int] | None = None) -> list[DocumentFacts]:
    q = (select(documents.c.id, documents.c.doc_class, documents.c.patient_id, documents.c.state, documents.c.doc_date,
                documents.c.received_at)
         .where(documents.c.state.not_in(NOT_SCHEDULED))
         .order_by(documents.c.id))
    if ids is not None:
        q = q.where(documents.c.id.in_(list(ids)))
    else:
        q = q.where(documents.c.id > after)
    if limit is not None:
        q = q.limit(limit)
    rows = conn.execute(q).all()
    patient_ids = sorted({r.patient_id for r in rows if r.patient_id is not None})
    births = _birth_dates(conn, patient_ids)
    last_seen = last_encounters(conn, patient_ids)
    reviews = _reviews(conn, [r.id for r in rows])
    out = []
    for r in rows:
        decision, keep_until = reviews.get(r.id, (None, None))
        facts = Facts(doc_date=r.doc_date, received_on=r.received_at.date(), birth_date=births.get(r.patient_id),
                      last_encounter=last_seen.get(r.patient_id), review_decision=decision, keep_until=keep_until)
        out.append(DocumentFacts(r.id, r.doc_class, r.patient_id, r.state, facts))
    return out


def last_encounters(conn: Connection, patient_ids: Sequence[int]) -> dict[int, dt.date]:
    """Each patient's last encounter day (its end, or its start): charts.last_encounter for many at once."""
    out: dict[int, dt.date] = {}
    for chunk in _chunks(patient_ids):
        day = func.coalesce(encounters.c.end_date, encounters.c.start_date)
        q = select(encounters.c.patient_id, func.max(day)).where(encounters.c.patient_id.in_(chunk)).group_by(
            encounters.c.patient_id)
        for pid, last in conn.execute(q):
            out[pid] = last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last))
    return out


def _birth_dates(conn: Connection, patient_ids: Sequence[int]) -> dict[int, dt.date]:
    out: dict[int, dt.date] = {}
    for chunk in _chunks(patient_ids):
        for pid, born in conn.execute(select(patients.c.id, patients.c.birth_date).where(patients.c.id.in_(chunk))):
            if born is not None:
                out[pid] = born
    return out


def _reviews(conn: Connection, doc_ids: Sequence[int]) -> dict[int, tuple[str, dt.date | None]]:
    out: dict[int, tuple[str, dt.date | None]] = {}
    for chunk in _chunks(doc_ids):
        q = (select(retention_reviews.c.document_id, retention_reviews.c.decision, retention_reviews.c.keep_until)
             .where(retention_reviews.c.document_id.in_(chunk)).order_by(retention_reviews.c.id))
        for doc_id, decision, keep_until in conn.execute(q):
            out[doc_id] = (decision, keep_until)  # the newest wins
    return out


def _stored_inputs(conn: Connection, doc_ids: Sequence[int]) -> dict[int, str]:
    q = select(retention_schedule.c.document_id, retention_schedule.c.inputs).where(
        retention_schedule.c.document_id.in_(list(doc_ids)))
    return dict(conn.execute(q).all())


def _write(conn: Connection, rows: Sequence[tuple[DocumentFacts, Disposition, str]]) -> None:
    now = utcnow()
    ids = [d.id for d, _, _ in rows]
    conn.execute(delete(retention_schedule).where(retention_schedule.c.document_id.in_(ids)))
    conn.execute(insert(retention_schedule), [
        {"document_id": d.id, "rule": disp.rule, "basis": disp.basis, "basis_date": disp.basis_date,
         "disposition_date": disp.date, "action": disp.action, "inputs": digest, "computed_at": now}
        for d, disp, digest in rows])


def _drop_unscheduled(conn: Connection) -> None:
    """Rows of documents that left the schedule (destroyed, rejected, split)."""
    gone = select(documents.c.id).where(documents.c.state.in_(NOT_SCHEDULED))
    conn.execute(delete(retention_schedule).where(retention_schedule.c.document_id.in_(gone)))


def _chunks(values: Sequence[int], size: int = 500) -> Iterator[list[int]]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


__all__ = ["DocumentFacts", "last_encounters", "load_facts", "refresh_documents", "refresh_schedule", "rule_for",
           "disposition"]
