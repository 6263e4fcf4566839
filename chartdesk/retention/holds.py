"""Legal holds: on a patient, on documents, or on a saved search.

A hold says keep, whatever the rules say. Placing one and releasing one are
separate audited acts by users with the legal_hold permission; a released hold
keeps its row (who placed it, why, who released it, why). Which documents a
hold covers is decided against the database at the moment it matters:

- a patient hold covers every document in the chart, now and later, and the
  chart of any patient merged with it;
- a document hold covers the documents named, and both parts of a split fax
  named by its parent record (a held part keeps the shared original anyway);
- a search hold covers what its saved search finds in the database (holdsearch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from chartdesk import access, audit
from chartdesk.access import Principal
from chartdesk.config import Settings
from chartdesk.db import documents, legal_hold_documents, legal_holds, patients, utcnow
from chartdesk.errors import NotFoundError, UsageError
from chartdesk.retention import holdsearch
from chartdesk.retention.errors import HoldReleasedError

SCOPES = ("patient", "documents", "search")
MIN_REASON_CHARS = 5


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    scope: str
    patient_id: int | None
    document_ids: tuple[int, ...]
    query: str | None
    matter: str
    reason: str
    placed_by: str
    placed_at: dt.datetime
    released_by: str | None = None
    released_at: dt.datetime | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    @property
    def target(self) -> str:
        if self.scope == "patient":
            return f"patient {self.patient_id}"
        if self.scope == "documents":
            return "documents " + ", ".join(str(d) for d in self.document_ids)
        return f"search: {self.query}"


def place_hold(conn: Connection, settings: Settings, principal: Principal, *, matter: str, reason: str,
               patient_id: int | None = None, document_ids: Sequence[int] = (), query: str | None = None) -> Hold:
    """Place a hold on exactly one of: a patient, documents, a saved search. Audited."""
    access.require(principal, "legal_hold")
    scope = _scope(patient_id, document_ids, query)
    matter, reason = _text(matter, "matter"), _text(reason, "reason")
    if scope == "patient":
        _check_patient(conn, patient_id)
    elif scope == "documents":
        _check_documents(conn, document_ids)
    else:
        holdsearch.compile_query(query or "", settings)  # refuse what cannot be searched, now
    hold_id = int(conn.execute(insert(legal_holds).values(
        scope=scope, patient_id=patient_id, query=query, matter=matter, reason=reason, placed_by=principal.username,
        placed_by_id=principal.user_id, placed_at=utcnow())).inserted_primary_key[0])
    ids = sorted(set(document_ids))
    if ids:
        conn.execute(insert(legal_hold_documents), [{"hold_id": hold_id, "document_id": d} for d in ids])
    audit.record(conn, audit.RetentionAct(
        principal=principal, act="hold_placed", reason=reason, patient_id=patient_id,
        document_id=ids[0] if len(ids) == 1 else None,
        extra={"hold_id": hold_id, "scope": scope, "matter": matter, "documents": ids, "query": query or ""}))
    return get_hold(conn, hold_id)


def release_hold(conn: Connection, principal: Principal, hold_id: int, *, reason: str) -> Hold:
    """Release a hold (a separate act from placing it, with its own reason). Audited."""
    access.require(principal, "legal_hold")
    hold = get_hold(conn, hold_id)
    if not hold.active:
        raise HoldReleasedError(f"legal hold {hold_id} was already released", remedy="nothing more to do")
    reason = _text(reason, "reason")
    conn.execute(update(legal_holds).where(legal_holds.c.id == hold_id).values(
        released_by=principal.username, released_by_id=principal.user_id, released_at=utcnow(),
        release_reason=reason))
    audit.record(conn, audit.RetentionAct(
        principal=principal, act="hold_released", reason=reason, patient_id=hold.patient_id,
        extra={"hold_id": hold_id, "scope": hold.scope, "matter": hold.matter}))
    return get_hold(conn, hold_id)


def get_hold(conn: Connection, hold_id: int) -> Hold:
    row = conn.execute(select(legal_holds).where(legal_holds.c.id == hold_id)).first()
    if row is None:
        raise NotFoundError(f"there is no legal hold {hold_id}", remedy="list them with `chartdesk retention holds`")
    return _hold(row, _hold_documents(conn, [hold_id]).get(hold_id, ()))


def list_holds(conn: Connection, *, active_only: bool = True) -> list[Hold]:
    q = select(legal_holds).order_by(legal_holds.c.id.desc())
    if active_only:
        q = q.where(legal_holds.c.released_at.is_(None))
    rows = conn.execute(q).all()
    docs = _hold_documents(conn, [r.id for r in rows])
    return [_hold(r, docs.get(r.id, ())) for r in rows]


def holds_covering(conn: Connection, settings: Settings, doc_ids: Iterable[int]) -> dict[int, list[int]]:
    """For each of `doc_ids` under at least one active hold: the ids of those holds."""
    ids = sorted(set(doc_ids))
    if not ids:
        return {}
    holds = list_holds(conn, active_only=True)
    if not holds:
        return {}
    rows = {r.id: r for r in conn.execute(select(documents.c.id, documents.c.patient_id, documents.c.parent_id)
                                          .where(documents.c.id.in_(ids)))}
    covered: dict[int, list[int]] = {}
    for hold in holds:
        for doc_id in _covered_by(conn, settings, hold, rows):
            covered.setdefault(doc_id, []).append(hold.id)
    return covered


def _covered_by(conn: Connection, settings: Settings, hold: Hold, rows: dict[int, object]) -> set[int]:
    if hold.scope == "patient":
        patients_held = _merged_closure(conn, hold.patient_id)
        return {i for i, r in rows.items() if r.patient_id in patients_held}  # type: ignore[attr-defined]
    if hold.scope == "documents":
        named = set(hold.document_ids)
        return {i for i, r in rows.items() if i in named or r.parent_id in named}  # type: ignore[attr-defined]
    return holdsearch.matching(conn, settings, hold.query or "", list(rows))


def _merged_closure(conn: Connection, patient_id: int | None) -> set[int]:
    """The patient and every chart it was merged into (its documents moved there)."""
    seen: set[int] = set()
    current = patient_id
    while current is not None and current not in seen:
        seen.add(current)
        current = conn.execute(select(patients.c.merged_into).where(patients.c.id == current)).scalar()
    return seen


def _hold_documents(conn: Connection, hold_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    out: dict[int, list[int]] = {}
    if hold_ids:
        q = select(legal_hold_documents).where(legal_hold_documents.c.hold_id.in_(list(hold_ids))).order_by(
            legal_hold_documents.c.document_id)
        for hold_id, doc_id in conn.execute(q):
            out.setdefault(hold_id, []).append(doc_id)
    return {k: tuple(v) for k, v in out.items()}


def _hold(row: object, doc_ids: tuple[int, ...]) -> Hold:
    m = row._mapping  # type: ignore[attr-defined]
    return Hold(id=m["id"], scope=m["scope"], patient_id=m["patient_id"], document_ids=doc_ids, query=m["query"],
                matter=m["matter"], reason=m["reason"], placed_by=m["placed_by"], placed_at=m["placed_at"],
                released_by=m["released_by"], released_at=m["released_at"], release_reason=m["release_reason"])


def _scope(patient_id: int | None, document_ids: Sequence[int], query: str | None) -> str:
    given = [s for s, v in zip(SCOPES, (patient_id is not None, bool(document_ids), bool(query and query.strip())),
                               strict=True) if v]
    if len(given) != 1:
        raise UsageError("a legal hold is on a patient, on documents, or on a saved search: name exactly one",
                         remedy="give --patient ID, or --document ID (repeatable), or --search QUERY")
    return given[0]


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if len(value) < MIN_REASON_CHARS:
        raise UsageError(f"the hold's {what} is missing or too short",
                         remedy=f"say in a few words what the {what} is (at least {MIN_REASON_CHARS} characters)")
    return value[:2000]


def _check_patient(conn: Connection, patient_id: int | None) -> None:
    if conn.execute(select(patients.c.id).where(patients.c.id == patient_id)).first() is None:
        raise NotFoundError(f"there is no patient {patient_id}", remedy="check the patient number")


def _check_documents(conn: Connection, doc_ids: Sequence[int]) -> None:
    found = set(conn.execute(select(documents.c.id).where(documents.c.id.in_(list(doc_ids)))).scalars())
    missing = sorted(set(doc_ids) - found)
    if missing:
        raise NotFoundError(f"there is no document {', '.join(map(str, missing))}", remedy="check the document numbers")
