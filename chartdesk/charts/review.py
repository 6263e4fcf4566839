"""The review queue: documents a person must look at, with the evidence, and
the decisions made on them (assign a patient and class, or reject).

Each decision is stored in `review_decisions`, audited in the same transaction,
and a class a person gave or confirmed is kept in `class_corrections`, which
`chartdesk classifier train` learns from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, desc, insert, select, update

from chartdesk import audit
from chartdesk.charts.moves import set_chart
from chartdesk.charts.patients import get_patient
from chartdesk.charts.rematch import MATCH_REASONS
from chartdesk.config import Settings
from chartdesk.db import (
    Database,
    class_corrections,
    classifications,
    document_identifiers,
    documents,
    match_candidates,
    review_decisions,
    review_items,
    utcnow,
)
from chartdesk.errors import ConflictError, NotFoundError, UsageError


@dataclass(frozen=True)
class QueueItem:
    document_id: int
    reasons: tuple[str, ...]
    opened_at: dt.datetime
    source: str
    received_at: dt.datetime
    doc_class: str | None
    class_confidence: float | None
    patient_id: int | None
    best_candidate: int | None
    best_probability: float | None


@dataclass
class ReviewView:
    document: dict[str, Any]
    item: dict[str, Any] | None
    classification: dict[str, Any] | None
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def list_queue(conn: Connection, *, status: str = "open", limit: int = 100) -> list[QueueItem]:
    best = select(match_candidates.c.document_id, match_candidates.c.patient_id, match_candidates.c.probability).where(
        match_candidates.c.rank == 1).subquery()
    q = (select(review_items.c.document_id, review_items.c.reasons, review_items.c.opened_at, documents.c.source, documents.c.received_at,
                documents.c.doc_class, documents.c.class_confidence, documents.c.patient_id, best.c.patient_id.label("best"),
                best.c.probability)
         .join(documents, documents.c.id == review_items.c.document_id)
         .outerjoin(best, best.c.document_id == review_items.c.document_id)
         .where(review_items.c.status == status).order_by(review_items.c.opened_at, review_items.c.document_id).limit(limit))
    return [QueueItem(r.document_id, tuple(r.reasons or ()), r.opened_at, r.source, r.received_at, r.doc_class, r.class_confidence,
                      r.patient_id, r.best, r.probability) for r in conn.execute(q)]


def show(conn: Connection, doc_id: int) -> ReviewView:
    doc = conn.execute(select(documents).where(documents.c.id == doc_id)).first()
    if doc is None:
        raise NotFoundError(f"no document {doc_id}", remedy="list the queue with `chartdesk review list`")
    keep = ("id", "state", "source", "received_at", "doc_class", "class_confidence", "doc_date", "patient_id", "page_count",
            "parent_id", "page_start", "page_end", "flags")
    item = conn.execute(select(review_items).where(review_items.c.document_id == doc_id)).first()
    cls = conn.execute(select(classifications).where(classifications.c.document_id == doc_id)).first()
    view = ReviewView({k: doc._mapping[k] for k in keep}, dict(item._mapping) if item else None, dict(cls._mapping) if cls else None)
    view.identifiers = [dict(r._mapping) for r in conn.execute(select(document_identifiers).where(
        document_identifiers.c.document_id == doc_id).order_by(document_identifiers.c.id))]
    for r in conn.execute(select(match_candidates).where(match_candidates.c.document_id == doc_id).order_by(match_candidates.c.rank)):
        p = get_patient(conn, r.patient_id)
        view.candidates.append({"rank": r.rank, "patient_id": r.patient_id, "mrn": p.mrn, "name": p.display_name, "birth_date": p.birth_date,
                                "probability": r.probability, "weight": r.weight, "evidence": r.agreements})
    view.decisions = [dict(r._mapping) for r in conn.execute(select(review_decisions).where(
        review_decisions.c.document_id == doc_id).order_by(review_decisions.c.id))]
    return view


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: int
    document_id: int
    patient_id: int | None
    doc_class: str | None


def assign(db: Database, settings: Settings, doc_id: int, *, principal: audit.Actor, patient_id: int | None = None,
           doc_class: str | None = None, no_patient: bool = False, reason: str = "") -> Decision:
    """File a document: its patient (or none, said explicitly) and its class."""
    if doc_class is not None and doc_class not in settings.classes:
        raise UsageError(f"no document class {doc_class!r}", remedy="use one of: " + ", ".join(settings.classes))
    with db.write() as conn:
        doc = _document(conn, doc_id)
        item = conn.execute(select(review_items).where(review_items.c.document_id == doc_id)).first()
        reasons = set(item.reasons or []) if item is not None and item.status == "open" else set()
        if patient_id is None and not no_patient and doc.patient_id is None and reasons & MATCH_REASONS:
            raise UsageError(f"document {doc_id} has no patient yet", remedy="name one with --patient MRN, or file it without one with --no-patient")
        final_class = _set_class(conn, doc, doc_class, principal, reason)
        final_patient = doc.patient_id if patient_id is None and not no_patient else patient_id
        set_chart(conn, doc_id, final_patient, reason=reason or "review decision", principal=principal)
        _remember_class(conn, doc_id, final_class, principal)
        decision_id = _decide(conn, doc, "assign", principal, reason, patient_id=final_patient, doc_class=final_class)
        _file(conn, doc_id)
        _close_item(conn, doc_id, "resolved")
        audit.record(conn, audit.ReviewDecision(principal=principal, document_id=doc_id, patient_id=final_patient, decision="assign",
                                                item_id=doc_id, extra={"class": final_class, "reasons": sorted(reasons), "reason": reason}))
    return Decision(decision_id, doc_id, final_patient, final_class)


def reject(db: Database, doc_id: int, *, principal: audit.Actor, reason: str) -> Decision:
    """Take a document out of the records (not ours, blank, a duplicate), with a reason."""
    if not reason.strip():
        raise UsageError("a reason is required to reject a document", remedy="say why, e.g. --reason \"blank page\"")
    with db.write() as conn:
        doc = _document(conn, doc_id)
        decision_id = _decide(conn, doc, "reject", principal, reason)
        now = utcnow()
        conn.execute(update(documents).where(documents.c.id == doc_id).values(
            state="rejected", stage=None, due_at=None, reason_code="review_rejected", reason=reason,
            index_version=documents.c.index_version + 1, updated_at=now))
        _close_item(conn, doc_id, "rejected")
        audit.record(conn, audit.ReviewDecision(principal=principal, document_id=doc_id, patient_id=doc.patient_id, decision="reject",
                                                item_id=doc_id, extra={"reason": reason}))
    return Decision(decision_id, doc_id, None, doc.doc_class)


def _document(conn: Connection, doc_id: int) -> Any:
    doc = conn.execute(select(documents).where(documents.c.id == doc_id)).first()
    if doc is None:
        raise NotFoundError(f"no document {doc_id}", remedy="list the queue with `chartdesk review list`")
    if doc.state in ("destroyed", "split"):
        raise ConflictError(f"document {doc_id} is {doc.state}", remedy="decide its child documents instead" if doc.state == "split" else "")
    return doc


def _set_class(conn: Connection, doc: Any, doc_class: str | None, principal: audit.Actor, reason: str) -> str | None:
    if doc_class is None or doc_class == doc.doc_class:
        return doc.doc_class
    conn.execute(update(documents).where(documents.c.id == doc.id).values(
        doc_class=doc_class, class_confidence=1.0, index_version=documents.c.index_version + 1, updated_at=utcnow()))
    audit.record(conn, audit.ClassChanged(principal=principal, document_id=doc.id, patient_id=doc.patient_id,
                                          old_class=doc.doc_class, new_class=doc_class, extra={"reason": reason}))
    return doc_class


def _remember_class(conn: Connection, doc_id: int, doc_class: str | None, principal: audit.Actor) -> None:
    if doc_class is None:
        return
    predicted = conn.execute(select(classifications.c.doc_class).where(classifications.c.document_id == doc_id)).scalar()
    conn.execute(delete(class_corrections).where(class_corrections.c.document_id == doc_id))
    conn.execute(insert(class_corrections).values(document_id=doc_id, doc_class=doc_class, predicted_class=predicted, at=utcnow(),
                                                  actor=principal.username))


def _decide(conn: Connection, doc: Any, action: str, principal: audit.Actor, reason: str, *, patient_id: int | None = None,
            doc_class: str | None = None) -> int:
    return int(conn.execute(insert(review_decisions).values(
        document_id=doc.id, at=utcnow(), actor=principal.username, action=action, patient_id=patient_id, doc_class=doc_class,
        previous_patient_id=doc.patient_id, previous_class=doc.doc_class, reason=reason)).inserted_primary_key[0])


def _file(conn: Connection, doc_id: int) -> None:
    """Filed: the pipeline's index stage runs next and the index entry is rewritten."""
    now = utcnow()
    conn.execute(update(documents).where(documents.c.id == doc_id).values(
        state="matched", stage="index", due_at=now, attempts=0, index_version=documents.c.index_version + 1, updated_at=now))


def _close_item(conn: Connection, doc_id: int, status: str) -> None:
    conn.execute(update(review_items).where(review_items.c.document_id == doc_id).values(status=status, closed_at=utcnow()))


def decisions_for(conn: Connection, doc_id: int) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(review_decisions).where(review_decisions.c.document_id == doc_id)
                                                    .order_by(desc(review_decisions.c.id)))]
