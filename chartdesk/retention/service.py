"""What the CLI and the web pages call: each asks the policy for its permission
and writes its audit event (showing a plan or a schedule shows which patients'
records are due, so it is itself an event)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select

from chartdesk import access, audit
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.db import documents, retention_reviews, retention_tombstones, utcnow
from chartdesk.errors import NotFoundError, UsageError
from chartdesk.retention import holds as holds_mod
from chartdesk.retention.approvals import Approval, approve
from chartdesk.retention.certificates import paths
from chartdesk.retention.holds import Hold, holds_covering
from chartdesk.retention.plan import Plan, PlanRow, compute_plan, due_rows
from chartdesk.retention.rules import Action, Disposition
from chartdesk.retention.run import get_run
from chartdesk.retention.schedule import disposition, load_facts, refresh_schedule


@dataclass(frozen=True)
class DocumentRetention:
    """One document's retention: its disposition, its state today and the holds on it."""

    document_id: int
    state: str  # destroyed | held | due | review_due | retained | permanent | undecided
    disposition: Disposition | None
    holds: tuple[int, ...]
    destroyed_at: dt.datetime | None = None


def plan_for(app: App, principal: Principal, *, today: dt.date) -> Plan:
    access.require(principal, "retention")
    plan = compute_plan(app.db, app.settings, today=today)
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(principal=principal, act="plan_viewed", extra={
            "fingerprint": plan.fingerprint, "as_of": today, **plan.summary()}))
    return plan


def approve_plan(app: App, principal: Principal, typed: str, *, note: str, today: dt.date) -> Approval:
    access.require(principal, "retention")
    plan = compute_plan(app.db, app.settings, today=today)
    with app.db.write() as conn:
        return approve(conn, principal, plan, typed, note=note)


def upcoming(app: App, principal: Principal, *, today: dt.date, days: int | None = None) -> list[PlanRow]:
    """Documents due now or within `days` ([retention] upcoming_days), with the holds that keep them."""
    access.require(principal, "retention")
    refresh_schedule(app.db, app.settings)
    until = today + dt.timedelta(days=days if days is not None else app.settings.retention.upcoming_days)
    with app.db.read() as conn:
        rows = due_rows(conn, today=today, until=until)
        held = holds_covering(conn, app.settings, [r.document_id for r in rows])
    out = [PlanRow(r.document_id, r.action, r.rule, r.disposition_date, r.doc_class, r.patient_id, r.basis,
                   r.basis_date, tuple(sorted(held.get(r.document_id, ())))) for r in rows]
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(principal=principal, act="upcoming_viewed",
                                              extra={"until": until, "count": len(out)}))
    return out


def explain(app: App, principal: Principal, doc_id: int, *, today: dt.date) -> DocumentRetention:
    access.require(principal, "retention")
    with app.db.write() as conn:
        row = conn.execute(select(documents.c.state, documents.c.patient_id).where(documents.c.id == doc_id)).first()
        if row is None:
            raise NotFoundError(f"there is no document {doc_id}", remedy="check the document number")
        audit.record(conn, audit.RetentionAct(principal=principal, act="schedule_viewed", document_id=doc_id,
                                              patient_id=row.patient_id))
        if row.state == "destroyed":
            at = conn.execute(select(retention_tombstones.c.destroyed_at)
                              .where(retention_tombstones.c.document_id == doc_id)).scalar()
            return DocumentRetention(doc_id, "destroyed", None, (), at)
        facts = load_facts(conn, ids=[doc_id])
        disp = disposition(app.settings, facts[0])[0] if facts else None
        held = tuple(sorted(holds_covering(conn, app.settings, [doc_id]).get(doc_id, ())))
    return DocumentRetention(doc_id, _state(disp, held, today), disp, held)


def _state(disp: Disposition | None, held: tuple[int, ...], today: dt.date) -> str:
    if held:
        return "held"
    if disp is None or disp.action == Action.undecided:
        return "undecided"
    if disp.action == Action.keep:
        return "permanent"
    if disp.date is not None and disp.date <= today:
        return "review_due" if disp.action == Action.review else "due"
    return "retained"


def decide_review(app: App, principal: Principal, doc_id: int, *, decision: str, keep_until: dt.date | None,
                  reason: str, today: dt.date) -> DocumentRetention:
    """A person's decision on a document whose rule ends in review. Audited."""
    access.require(principal, "retention")
    if decision not in ("destroy", "keep"):
        raise UsageError("a review decides destroy or keep", remedy="give --destroy, or --keep-until DATE")
    if decision == "keep" and (keep_until is None or keep_until <= today):
        raise UsageError("keeping a document needs a day in the future to review it again",
                         remedy="give --keep-until with a date after today, e.g. 2030-01-01")
    if len(reason.strip()) < 5:
        raise UsageError("say why (a few words)", remedy="give --reason")
    current = explain(app, principal, doc_id, today=today)
    if current.disposition is None or current.disposition.rule is None or \
            app.settings.retention.rules[current.disposition.rule].action != "review":
        raise UsageError(f"document {doc_id} is not kept under a rule that ends in review",
                         remedy="only documents whose retention rule has action = \"review\" are decided this way")
    with app.db.write() as conn:
        conn.execute(insert(retention_reviews).values(
            document_id=doc_id, decision=decision, keep_until=keep_until if decision == "keep" else None,
            reason=reason.strip()[:2000], actor=principal.username, actor_id=principal.user_id, at=utcnow()))
        audit.record(conn, audit.RetentionAct(principal=principal, act="review_decided", document_id=doc_id,
                                              reason=reason.strip()[:2000],
                                              extra={"decision": decision, "keep_until": keep_until}))
    refresh_schedule(app.db, app.settings)
    return explain(app, principal, doc_id, today=today)


def place_hold(app: App, principal: Principal, *, matter: str, reason: str, patient_id: int | None = None,
               document_ids: tuple[int, ...] = (), query: str | None = None) -> Hold:
    with app.db.write() as conn:
        return holds_mod.place_hold(conn, app.settings, principal, matter=matter, reason=reason,
                                    patient_id=patient_id, document_ids=document_ids, query=query)


def release_hold(app: App, principal: Principal, hold_id: int, *, reason: str) -> Hold:
    with app.db.write() as conn:
        return holds_mod.release_hold(conn, principal, hold_id, reason=reason)


def list_holds(app: App, principal: Principal, *, active_only: bool = True) -> list[Hold]:
    if not (access.may(principal, "legal_hold") or access.may(principal, "retention")):
        access.require(principal, "legal_hold")
    with app.db.write() as conn:
        found = holds_mod.list_holds(conn, active_only=active_only)
        audit.record(conn, audit.RetentionAct(principal=principal, act="holds_viewed",
                                              extra={"active_only": active_only, "count": len(found)}))
    return found


def certificate_file(app: App, principal: Principal, run_id: int, kind: str) -> Path:
    """A run's certificate (kind "csv" or "pdf"), audited as it is handed out."""
    access.require(principal, "retention")
    run = get_run(app, run_id)
    path = {"csv": paths(app.settings, run_id)[0], "pdf": paths(app.settings, run_id)[1]}.get(kind)
    if path is None or not path.exists():
        raise NotFoundError(f"disposition run {run.id} has no {kind} certificate",
                            remedy="a run has its certificates once it has finished")
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(principal=principal, act="certificate_downloaded",
                                              extra={"run": run_id, "form": kind}))
    return path
