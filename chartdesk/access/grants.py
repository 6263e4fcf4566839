"""Break-the-glass: a permitted user opens restricted records after typing a
reason. The grant covers one document or a whole chart, ends after a few
minutes, is audited (flagged break_glass) and waits for a compliance review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from chartdesk import audit
from chartdesk.access.errors import DocumentNotFoundError, NotPermittedError
from chartdesk.access.facts import chart_document_facts, document_facts, patient_facts
from chartdesk.access.policy import Grants, is_restricted_for, may, require
from chartdesk.access.principal import Principal
from chartdesk.config import BreakGlassSettings
from chartdesk.db import access_grants, utcnow
from chartdesk.errors import NotFoundError, UsageError

REVIEW_STATUSES = ("accepted", "concern")


@dataclass(frozen=True)
class Grant:
    id: int
    user_id: int
    document_id: int | None
    patient_id: int | None
    reason: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    review_status: str

    @classmethod
    def from_row(cls, row: Any) -> Grant:
        m = row._mapping
        return cls(m["id"], m["user_id"], m["document_id"], m["patient_id"], m["reason"], m["granted_at"],
                   m["expires_at"], m["review_status"])


def active_grants(conn: Connection, principal: Principal, *, now: dt.datetime | None = None) -> Grants:
    if principal.user_id is None:
        return Grants()
    rows = conn.execute(
        select(access_grants.c.document_id, access_grants.c.patient_id).where(
            access_grants.c.user_id == principal.user_id, access_grants.c.expires_at > (now or utcnow()))
    ).all()
    return Grants(
        document_ids=frozenset(int(r.document_id) for r in rows if r.document_id is not None),
        patient_ids=frozenset(int(r.patient_id) for r in rows if r.patient_id is not None),
    )


def break_glass(
    conn: Connection, principal: Principal, settings: BreakGlassSettings, *, reason: str,
    document_id: int | None = None, patient_id: int | None = None, minutes: int | None = None,
) -> Grant:
    """Grant `principal` access to one restricted document or a whole chart.
    A document the user could not open even so answers as missing."""
    require(principal, "break_glass")
    if (document_id is None) == (patient_id is None):
        raise UsageError("name either a document or a chart", remedy="give one of them")
    reason = " ".join(reason.split())
    if len(reason) < settings.min_reason_chars:
        raise UsageError(f"give a reason of at least {settings.min_reason_chars} characters",
                         remedy="say why you need these records now, e.g. the emergency")
    minutes = minutes or settings.default_minutes
    if not 1 <= minutes <= settings.max_minutes:
        raise UsageError(f"a grant lasts at most {settings.max_minutes} minutes", remedy="ask for less time")
    target_patient = _check_target(conn, principal, document_id, patient_id)
    now = utcnow()
    grant_id = conn.execute(access_grants.insert().values(
        user_id=principal.user_id, document_id=document_id, patient_id=patient_id, reason=reason,
        granted_at=now, expires_at=now + dt.timedelta(minutes=minutes), review_status="pending",
    )).inserted_primary_key[0]
    audit.record(conn, audit.BreakGlass(principal=principal, document_id=document_id, patient_id=target_patient,
                                        grant_id=grant_id, reason=reason, minutes=minutes))
    return get_grant(conn, grant_id)


def _check_target(conn: Connection, principal: Principal, document_id: int | None, patient_id: int | None) -> int | None:
    if principal.user_id is None:
        raise NotPermittedError("only a user can break the glass", remedy="log in with --user NAME")
    if document_id is not None:
        facts = document_facts(conn, document_id)
        if facts is None or not may(principal, "break_glass", facts):
            raise DocumentNotFoundError(document_id, audit_outcome="not_found" if facts is None else "denied")
        return facts.patient_id
    assert patient_id is not None
    if patient_facts(conn, patient_id) is None:
        raise NotFoundError(f"there is no patient {patient_id}", remedy="check the number")
    return patient_id


def get_grant(conn: Connection, grant_id: int) -> Grant:
    row = conn.execute(select(access_grants).where(access_grants.c.id == grant_id)).first()
    if row is None:
        raise NotFoundError(f"there is no break-the-glass grant {grant_id}", remedy="see `chartdesk audit grants`")
    return Grant.from_row(row)


def list_grants(conn: Connection, *, pending_only: bool = True) -> list[Grant]:
    query = select(access_grants).order_by(access_grants.c.granted_at)
    if pending_only:
        query = query.where(access_grants.c.review_status == "pending")
    return [Grant.from_row(r) for r in conn.execute(query)]


def review_grant(conn: Connection, principal: Principal, grant_id: int, *, status: str, note: str) -> Grant:
    """A compliance officer closes the review of a grant ("accepted" or "concern")."""
    require(principal, "review_break_glass")
    if status not in REVIEW_STATUSES:
        raise UsageError(f"review status must be one of {REVIEW_STATUSES}", remedy="use accepted or concern")
    grant = get_grant(conn, grant_id)
    if grant.user_id == principal.user_id:
        raise NotPermittedError("you cannot review your own break-the-glass grant", remedy="ask another officer")
    conn.execute(access_grants.update().where(access_grants.c.id == grant_id).values(
        review_status=status, reviewed_by=principal.user_id, reviewed_at=utcnow(), review_note=note))
    audit.record(conn, audit.BreakGlassReviewed(principal=principal, document_id=grant.document_id,
                                                patient_id=grant.patient_id, grant_id=grant_id, status=status,
                                                note=note))
    return get_grant(conn, grant_id)


def restricted_count(conn: Connection, principal: Principal, patient_id: int) -> int | None:
    """How many documents of the chart are restricted for the principal
    ("N restricted documents"), or None for users who may not break the glass
    (they see nothing of it)."""
    if not may(principal, "break_glass"):
        return None
    return sum(1 for doc in chart_document_facts(conn, patient_id)
               if is_restricted_for(principal, doc) and not may(principal, "view", doc))
