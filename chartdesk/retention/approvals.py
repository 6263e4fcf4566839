"""Approving a disposition plan, and finding the approval an apply needs.

An approval is by a named user with the retention permission, for the exact
plan they were shown (its fingerprint). Apply needs an approval of the current
plan's fingerprint, given within [retention] approval_days, by someone other
than the person applying it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from chartdesk import access, audit
from chartdesk.access import Principal
from chartdesk.config import Settings
from chartdesk.db import retention_approvals, utcnow
from chartdesk.errors import UsageError
from chartdesk.retention.errors import NotApprovedError, PlanChangedError
from chartdesk.retention.plan import Plan


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    fingerprint: str
    as_of: dt.date
    approver: str
    approver_id: int | None
    approved_at: dt.datetime
    note: str


def approve(conn: Connection, principal: Principal, plan: Plan, typed: str, *, note: str = "") -> Approval:
    """Approve `plan`, which must be the one whose fingerprint the approver typed. Audited."""
    access.require(principal, "retention")
    if principal.user_id is None:
        raise NotApprovedError("a disposition plan is approved by a named person",
                               remedy="run the command as yourself with --user NAME")
    if not plan.rows:
        raise UsageError("there is nothing due for disposition, so nothing to approve",
                         remedy="run `chartdesk retention plan` again when documents fall due")
    if not plan.matches(typed):
        raise PlanChangedError(
            f"the plan is now {plan.short}, not {typed.strip()[:64]}: it changed since it was listed, or the "
            "fingerprint is mistyped",
            remedy="run `chartdesk retention plan`, check it again and approve the fingerprint it shows")
    approval_id = int(conn.execute(insert(retention_approvals).values(
        fingerprint=plan.fingerprint, as_of=plan.as_of, approver=principal.username, approver_id=principal.user_id,
        approved_at=utcnow(), note=note.strip()[:2000], totals=plan.summary())).inserted_primary_key[0])
    audit.record(conn, audit.RetentionAct(
        principal=principal, act="plan_approved", reason=note.strip()[:2000],
        extra={"approval_id": approval_id, "fingerprint": plan.fingerprint, "as_of": plan.as_of,
               **plan.summary()}))
    return _approval(conn, approval_id)


def approval_for(conn: Connection, settings: Settings, plan: Plan, applier: Principal) -> Approval:
    """The newest valid approval of `plan` by someone other than `applier`, or NotApprovedError."""
    rows = conn.execute(select(retention_approvals).where(retention_approvals.c.fingerprint == plan.fingerprint)
                        .order_by(retention_approvals.c.id.desc())).all()
    if not rows:
        raise NotApprovedError(
            f"nobody has approved the current disposition plan ({plan.short})",
            remedy="another person with the retention permission runs `chartdesk retention plan` and then "
                   f"`chartdesk retention approve {plan.short}`")
    others = [r for r in rows if not _same_person(r, applier)]
    if not others:
        raise NotApprovedError(
            f"the plan {plan.short} was approved only by you; the person who applies a plan cannot approve it",
            remedy="ask another person with the retention permission to approve it")
    oldest = utcnow() - dt.timedelta(days=settings.retention.approval_days)
    valid = [r for r in others if r.approved_at >= oldest]
    if not valid:
        raise NotApprovedError(
            f"the approval of plan {plan.short} is older than {settings.retention.approval_days} days",
            remedy="have the plan approved again")
    return _from_row(valid[0])


def get_approval(conn: Connection, approval_id: int) -> Approval:
    return _approval(conn, approval_id)


def _same_person(row: object, principal: Principal) -> bool:
    m = row._mapping  # type: ignore[attr-defined]
    return m["approver"] == principal.username or (m["approver_id"] is not None and m["approver_id"] == principal.user_id)


def _approval(conn: Connection, approval_id: int) -> Approval:
    return _from_row(conn.execute(select(retention_approvals).where(retention_approvals.c.id == approval_id)).one())


def _from_row(row: object) -> Approval:
    m = row._mapping  # type: ignore[attr-defined]
    return Approval(m["id"], m["fingerprint"], m["as_of"], m["approver"], m["approver_id"], m["approved_at"], m["note"])
