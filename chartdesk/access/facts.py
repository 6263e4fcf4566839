"""What the policy needs to know about a document or a chart, read from the
database: the facts `may` decides on, and the same facts as the search index's
filter fields (so `visible_filter` over the index agrees with `may`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from chartdesk.db import access_changes, access_grants, documents, patients, utcnow
from chartdesk.stages import State

UNCLASSIFIED, REVIEW, FILED = "unclassified", "review", "filed"
LABELLED_FLAG = "labelled"  # set in documents.flags by the label stage


def document_status(*, state: str, doc_class: str | None, flags: Mapping[str, Any] | None) -> str:
    """The filter field `status`: "review" while a person must look at it,
    "filed" once classified and labelled, "unclassified" before that. Only
    roles with the review permission see documents that are not filed."""
    if state == State.needs_review:
        return REVIEW
    if doc_class is None or not (flags or {}).get(LABELLED_FLAG):
        return UNCLASSIFIED
    return FILED


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """One document as the policy sees it.

    pending:    an access-relevant change (label, class, chart, restriction)
                is not in the search index yet.
    granted_to: users holding an unexpired break-the-glass grant for it
                (on the document or on its whole chart).
    """

    doc_id: int
    doc_class: str | None
    labels: frozenset[str]
    status: str
    patient_id: int | None
    chart_restricted: bool
    pending: bool = False
    granted_to: frozenset[int] = frozenset()

    @property
    def chart(self) -> str:
        return "restricted" if self.chart_restricted else "open"

    def filter_fields(self) -> dict[str, object]:
        """The document as `chartdesk.index.evaluate` reads it (access fields only)."""
        fields: dict[str, object] = {"doc_id": self.doc_id, "status": self.status, "chart": self.chart,
                                     "labels": tuple(sorted(self.labels))}
        if self.doc_class:
            fields["doc_class"] = self.doc_class
        if self.patient_id is not None:
            fields["patient"] = str(self.patient_id)
        return fields


@dataclass(frozen=True, slots=True)
class PatientFacts:
    patient_id: int
    restricted: bool


def document_facts(conn: Connection, doc_id: int, *, now: dt.datetime | None = None) -> DocumentFacts | None:
    """The facts of one document, or None when there is no such document.
    Runs the same queries whether or not it exists (one timing class)."""
    return documents_facts(conn, [doc_id], now=now).get(doc_id)


def documents_facts(conn: Connection, doc_ids: Iterable[int], *, now: dt.datetime | None = None) -> dict[int, DocumentFacts]:
    ids = sorted(set(doc_ids))
    rows = conn.execute(_facts_query().where(documents.c.id.in_(ids))).all() if ids else []
    grants = _grants(conn, ids, {r.patient_id for r in rows if r.patient_id is not None}, now or utcnow())
    return {r.id: _facts(r, grants) for r in rows}


def chart_document_facts(conn: Connection, patient_id: int, *, now: dt.datetime | None = None) -> list[DocumentFacts]:
    rows = conn.execute(_facts_query().where(documents.c.patient_id == patient_id)).all()
    grants = _grants(conn, [r.id for r in rows], {patient_id}, now or utcnow())
    return [_facts(r, grants) for r in rows]


def patient_facts(conn: Connection, patient_id: int) -> PatientFacts | None:
    row = conn.execute(select(patients.c.id, patients.c.restricted).where(patients.c.id == patient_id)).first()
    return None if row is None else PatientFacts(int(row.id), bool(row.restricted))


def _facts_query() -> Any:
    return (
        select(documents.c.id, documents.c.state, documents.c.doc_class, documents.c.flags, documents.c.labels,
               documents.c.patient_id, documents.c.indexed_version, patients.c.restricted,
               access_changes.c.version.label("access_version"))
        .select_from(
            documents.outerjoin(patients, patients.c.id == documents.c.patient_id)
            .outerjoin(access_changes, access_changes.c.document_id == documents.c.id)
        )
    )


def _facts(row: Any, grants: list[Any]) -> DocumentFacts:
    granted = frozenset(
        int(g.user_id) for g in grants
        if g.document_id == row.id or (g.patient_id is not None and g.patient_id == row.patient_id)
    )
    return DocumentFacts(
        doc_id=int(row.id),
        doc_class=row.doc_class,
        labels=frozenset(str(label) for label in (row.labels or ())),
        status=document_status(state=row.state, doc_class=row.doc_class, flags=row.flags),
        patient_id=row.patient_id,
        chart_restricted=bool(row.restricted),
        pending=row.access_version is not None and int(row.access_version) > int(row.indexed_version or 0),
        granted_to=granted,
    )


def _grants(conn: Connection, doc_ids: list[int], patient_ids: set[int], now: dt.datetime) -> list[Any]:
    query = select(access_grants.c.user_id, access_grants.c.document_id, access_grants.c.patient_id).where(
        access_grants.c.expires_at > now,
        or_(access_grants.c.document_id.in_(doc_ids or [-1]),
            and_(access_grants.c.patient_id.is_not(None), access_grants.c.patient_id.in_(sorted(patient_ids) or [-1]))),
    )
    return list(conn.execute(query))
