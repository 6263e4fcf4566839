"""Moving documents between charts, and merging two patient records.

A document's derived data (page text, page images, classification, the
identifiers found, its labels) is keyed by the document, so it moves with it;
the search index entry is rewritten because the move bumps `index_version` in
the same transaction; access follows the new chart (its restriction) because
the policy reads the patient at decision time. Every move is a row in
`chart_moves` and an audit event, in the one transaction that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from chartdesk import audit
from chartdesk.charts.patients import bump_patients_version
from chartdesk.charts.rematch import requeue_for_matching
from chartdesk.db import (
    Database,
    chart_moves,
    documents,
    encounters,
    match_candidates,
    patient_identifiers,
    patient_merges,
    patient_names,
    patients,
    review_items,
    utcnow,
)
from chartdesk.errors import ConflictError, NotFoundError, UsageError

GONE_STATES = frozenset({"destroyed", "split", "rejected"})


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_id: int
    documents_moved: int
    documents_requeued: int


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise UsageError("a reason is required", remedy="say why, e.g. --reason \"scanned into the wrong chart\"")
    return reason.strip()


def _live_patient(conn: Connection, pid: int) -> None:
    row = conn.execute(select(patients.c.merged_into).where(patients.c.id == pid)).first()
    if row is None:
        raise NotFoundError(f"no patient with id {pid}", remedy="check the MRN with `chartdesk patients list`")
    if row.merged_into is not None:
        raise ConflictError(f"patient {pid} was merged into patient {row.merged_into}", remedy=f"use patient #{row.merged_into}")


def set_chart(conn: Connection, doc_id: int, to_patient: int | None, *, reason: str, principal: audit.Actor,
              merge_id: int | None = None) -> int | None:
    """Point a document at a chart inside the caller's transaction. Returns the previous patient."""
    row = conn.execute(select(documents.c.patient_id, documents.c.state).where(documents.c.id == doc_id)).first()
    if row is None:
        raise NotFoundError(f"no document {doc_id}", remedy="check the document number with `chartdesk review list`")
    if row.state in GONE_STATES:
        raise ConflictError(f"document {doc_id} is {row.state} and cannot be filed", remedy="file its child documents instead" if row.state == "split" else "")
    if to_patient is not None:
        _live_patient(conn, to_patient)
    if row.patient_id == to_patient:
        return row.patient_id
    now = utcnow()
    conn.execute(update(documents).where(documents.c.id == doc_id).values(
        patient_id=to_patient, index_version=documents.c.index_version + 1, updated_at=now))
    if to_patient is not None:
        conn.execute(insert(chart_moves).values(document_id=doc_id, from_patient_id=row.patient_id, to_patient_id=to_patient,
                                                reason=reason, actor=principal.username, at=now, merge_id=merge_id))
    audit.record(conn, audit.ChartChanged(principal=principal, document_id=doc_id, patient_id=to_patient,
                                          old_patient_id=row.patient_id, new_patient_id=to_patient, reason=reason))
    return row.patient_id


def move_document(db: Database, doc_id: int, to_patient: int, *, reason: str, principal: audit.Actor) -> int | None:
    """Move one document to another patient's chart, with a reason. Atomic and audited."""
    reason = _require_reason(reason)
    with db.write() as conn:
        return set_chart(conn, doc_id, to_patient, reason=reason, principal=principal)


def merge_patients(db: Database, merged: int, into: int, *, reason: str, principal: audit.Actor) -> MergeResult:
    """Merge patient `merged` into `into`: its documents, names, identifiers and
    encounters go to `into`; its row stays, pointing at `into`, for the trail."""
    reason = _require_reason(reason)
    if merged == into:
        raise UsageError("a patient cannot be merged into itself", remedy="name two different patients")
    with db.write() as conn:
        _live_patient(conn, merged)
        _live_patient(conn, into)
        now = utcnow()
        merge_id = int(conn.execute(insert(patient_merges).values(merged_id=merged, into_id=into, reason=reason, actor=principal.username,
                                                                  at=now, documents_moved=0)).inserted_primary_key[0])
        moved = _move_all(conn, merged, into, reason=f"merge: {reason}", principal=principal, merge_id=merge_id)
        _carry_identity(conn, merged, into)
        conn.execute(update(patient_merges).where(patient_merges.c.id == merge_id).values(documents_moved=moved))
        conn.execute(update(patients).where(patients.c.id == merged).values(merged_into=into, updated_at=now))
        bump_patients_version(conn)
        for pid, change in ((merged, "merged_away"), (into, "merged")):
            audit.record(conn, audit.PatientChanged(principal=principal, patient_id=pid, change=change,
                                                    fields=("documents", "names", "identifiers", "encounters"),
                                                    extra={"merge_id": merge_id, "merged": merged, "into": into, "reason": reason}))
        requeued = _requeue_candidates_of(conn, merged)
    return MergeResult(merge_id, moved, requeued)


def _move_all(conn: Connection, merged: int, into: int, *, reason: str, principal: audit.Actor, merge_id: int) -> int:
    ids = [r.id for r in conn.execute(select(documents.c.id).where(documents.c.patient_id == merged, documents.c.state.not_in(GONE_STATES)))]
    for doc_id in ids:
        set_chart(conn, doc_id, into, reason=reason, principal=principal, merge_id=merge_id)
    return len(ids)


def _carry_identity(conn: Connection, merged: int, into: int) -> None:
    """The merged record's names become aliases of the survivor; its identifiers and encounters move."""
    m = conn.execute(select(patients).where(patients.c.id == merged)).one()._mapping
    rows = conn.execute(select(patient_names).where(patient_names.c.patient_id == merged)).all()
    have = {(r.family_key, r.given_key) for r in conn.execute(select(patient_names).where(patient_names.c.patient_id == into))}
    for r in rows:
        if (r.family_key, r.given_key) not in have:
            values = {k: v for k, v in r._mapping.items() if k not in ("id", "patient_id", "kind")}
            conn.execute(insert(patient_names).values(patient_id=into, kind="alias", **values))
            have.add((r.family_key, r.given_key))
    conn.execute(update(patient_identifiers).where(patient_identifiers.c.patient_id == merged).values(patient_id=into))
    kept = select(patient_identifiers.c.id).where(patient_identifiers.c.patient_id == into, patient_identifiers.c.kind == "mrn",
                                                  patient_identifiers.c.system == "merged", patient_identifiers.c.norm == m["mrn"].upper())
    if conn.execute(kept).first() is None:
        conn.execute(insert(patient_identifiers).values(patient_id=into, kind="mrn", system="merged", value=m["mrn"], norm=m["mrn"].upper()))
    conn.execute(update(encounters).where(encounters.c.patient_id == merged).values(patient_id=into))
    if m["restricted"]:
        conn.execute(update(patients).where(patients.c.id == into).values(restricted=1))


def _requeue_candidates_of(conn: Connection, merged: int) -> int:
    """Review items whose candidates named the merged record are matched again."""
    ids = {r.document_id for r in conn.execute(select(match_candidates.c.document_id).where(match_candidates.c.patient_id == merged))}
    if not ids:
        return 0
    open_ids = {r.document_id for r in conn.execute(select(review_items.c.document_id).where(
        review_items.c.document_id.in_(ids), review_items.c.status == "open"))}
    return requeue_for_matching(conn) if open_ids else 0
