"""A chart: one patient's documents grouped by class, newest first by the
document's own date (the received date where it has none), and what an export
says about a document's class and match."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from chartdesk.charts.patients import PatientView, get_patient
from chartdesk.db import classifications, documents, match_candidates, review_items

HIDDEN_STATES = ("destroyed", "split", "rejected")


@dataclass(frozen=True, slots=True)
class ChartEntry:
    document_id: int
    doc_class: str
    date: dt.date
    date_is_received: bool
    source: str
    state: str
    page_count: int | None


@dataclass
class Chart:
    patient: PatientView
    groups: dict[str, list[ChartEntry]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(g) for g in self.groups.values())


def chart(conn: Connection, patient_id: int) -> Chart:
    view = Chart(get_patient(conn, patient_id))
    rows = conn.execute(select(documents.c.id, documents.c.doc_class, documents.c.doc_date, documents.c.received_at, documents.c.source,
                               documents.c.state, documents.c.page_count)
                        .where(documents.c.patient_id == patient_id, documents.c.state.not_in(HIDDEN_STATES)))
    entries = [ChartEntry(r.id, r.doc_class or "other", r.doc_date or r.received_at.date(), r.doc_date is None, r.source, r.state,
                          r.page_count) for r in rows]
    for e in sorted(entries, key=lambda e: (e.doc_class, -e.date.toordinal(), -e.document_id)):
        view.groups.setdefault(e.doc_class, []).append(e)
    return view


def export_fields(conn: Connection, doc_id: int) -> dict[str, Any]:
    """Class, confidence, patient and match evidence of one document, for `chartdesk export --jsonl`."""
    doc = conn.execute(select(documents.c.doc_class, documents.c.class_confidence, documents.c.doc_date, documents.c.patient_id,
                              documents.c.parent_id, documents.c.page_start, documents.c.page_end).where(documents.c.id == doc_id)).one()
    cls = conn.execute(select(classifications).where(classifications.c.document_id == doc_id)).first()
    item = conn.execute(select(review_items.c.status, review_items.c.reasons).where(review_items.c.document_id == doc_id)).first()
    cands = conn.execute(select(match_candidates).where(match_candidates.c.document_id == doc_id).order_by(match_candidates.c.rank)).all()
    return {
        "doc_class": doc.doc_class, "class_confidence": doc.class_confidence, "doc_date": doc.doc_date.isoformat() if doc.doc_date else None,
        "class_model": cls.model_version if cls else None, "class_ranking": cls.ranking if cls else [], "class_evidence": cls.evidence if cls else [],
        "patient_id": doc.patient_id, "parent_id": doc.parent_id,
        "pages_of_parent": [doc.page_start, doc.page_end] if doc.parent_id else None,
        "review": {"status": item.status, "reasons": item.reasons} if item else None,
        "match_candidates": [{"rank": c.rank, "patient_id": c.patient_id, "probability": c.probability, "weight": c.weight,
                              "evidence": c.agreements} for c in cands],
    }


def original_needed(conn: Connection, doc_id: int) -> bool:
    """True while a child record of this (split) document is not yet destroyed: keep the original file."""
    row = conn.execute(select(documents.c.id).where(documents.c.parent_id == doc_id, documents.c.state != "destroyed").limit(1)).first()
    return row is not None


def blob_in_use(conn: Connection, sha256: str, *, ignoring: frozenset[int] = frozenset()) -> bool:
    """True while any document (a parent, a child, another drop) other than `ignoring` still points at these bytes."""
    q = select(documents.c.id).where(documents.c.sha256 == sha256, documents.c.state != "destroyed")
    return any(r.id not in ignoring for r in conn.execute(q))
