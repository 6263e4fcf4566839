"""The retention pages for compliance: upcoming dispositions (with the current
plan's fingerprint), legal holds (place, release) and past disposition runs
with their certificates. The retention room asks the policy and writes the
audit events; applying a plan stays on the command line (`chartdesk retention
apply`), where a long run can be watched and resumed."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from chartdesk import retention
from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.errors import ChartdeskError, UsageError
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()
_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
_PRIVATE = {"Cache-Control": "no-store"}


@router.get("/retention", summary="Upcoming dispositions")
def upcoming_page(request: Request, principal: Principal = require(Permission.retention)) -> Response:
    ctx = web_context(request)
    today = dt.date.today()
    rows = retention.upcoming(ctx.app, principal, today=today)
    due = [r for r in rows if r.disposition_date <= today]  # today's plan is the part of the list due now
    plan = retention.Plan(as_of=today, rows=tuple(r for r in due if not r.held_by),
                          held=tuple(r for r in due if r.held_by))
    return page(request, "retention.html", rows=rows, plan=plan, today=today, days=ctx.settings.retention.upcoming_days)


@router.get("/retention/holds", summary="Legal holds")
def holds_page(request: Request, show: str = "active", placed: int | None = None, released: int | None = None,
               principal: Principal = require(Permission.legal_hold)) -> Response:
    return _holds(request, principal, show=show, placed=placed, released=released)


def _holds(request: Request, principal: Principal, *, show: str = "active", placed: int | None = None,
           released: int | None = None, error: ChartdeskError | None = None, form: dict[str, str] | None = None,
           status: int = 200) -> Response:
    found = retention.list_holds(web_context(request).app, principal, active_only=show != "all")
    return page(request, "retention_holds.html", status=status, holds=found, show=show, placed=placed,
                released=released, error=error, form=form or {})


@router.post("/retention/holds", summary="Place a legal hold")
def place_hold(
    request: Request,
    scope: str = Form(max_length=16),
    target: str = Form("", max_length=2000),
    matter: str = Form(max_length=500),
    reason: str = Form(max_length=2000),
    principal: Principal = require(Permission.legal_hold),
) -> Response:
    form = {"scope": scope, "target": target, "matter": matter, "reason": reason}
    try:
        hold = retention.place_hold(web_context(request).app, principal, matter=matter, reason=reason,
                                    **_target(scope, target))
    except ChartdeskError as err:
        if err.http_status not in (400, 404, 409):
            raise
        return _holds(request, principal, error=err, form=form, status=err.http_status)
    return RedirectResponse(f"/retention/holds?placed={hold.id}", status_code=303)


def _target(scope: str, target: str) -> dict[str, object]:
    text = target.strip()
    if scope == "search":
        return {"query": text}
    numbers = [t.lstrip("#") for t in text.replace(",", " ").split()]
    if not numbers or not all(n.isdigit() for n in numbers):
        raise UsageError(f"the hold needs the {'patient' if scope == 'patient' else 'document'} number",
                         remedy="type the number (documents: several, separated by spaces or commas)")
    if scope == "patient":
        if len(numbers) != 1:
            raise UsageError("a patient hold is on one patient", remedy="place one hold per patient")
        return {"patient_id": int(numbers[0])}
    if scope == "documents":
        return {"document_ids": tuple(int(n) for n in numbers)}
    raise UsageError("choose what the hold is on", remedy="a patient, documents, or a saved search")


@router.post("/retention/holds/{hold_id}/release", summary="Release a legal hold")
def release_hold(request: Request, hold_id: int, reason: str = Form(max_length=2000),
                 principal: Principal = require(Permission.legal_hold)) -> Response:
    try:
        retention.release_hold(web_context(request).app, principal, hold_id, reason=reason)
    except ChartdeskError as err:
        if err.http_status not in (400, 404, 409):
            raise
        return _holds(request, principal, error=err, status=err.http_status)
    return RedirectResponse(f"/retention/holds?released={hold_id}", status_code=303)


@router.get("/retention/runs", summary="Past disposition runs and their certificates")
def runs_page(request: Request, principal: Principal = require(Permission.retention)) -> Response:
    runs = retention.list_runs(web_context(request).app)
    return page(request, "retention_runs.html", runs=runs)


@router.get("/retention/runs/{run_id}/certificate.csv", summary="A run's certificate of destruction (CSV)")
def certificate_csv(request: Request, run_id: int, principal: Principal = require(Permission.retention)) -> Response:
    return _certificate(request, principal, run_id, "csv")


@router.get("/retention/runs/{run_id}/certificate.pdf", summary="A run's certificate of destruction (PDF)")
def certificate_pdf(request: Request, run_id: int, principal: Principal = require(Permission.retention)) -> Response:
    return _certificate(request, principal, run_id, "pdf")


def _certificate(request: Request, principal: Principal, run_id: int, kind: str) -> Response:
    path = retention.certificate_file(web_context(request).app, principal, run_id, kind)
    return FileResponse(path, media_type=_TYPES[kind], filename=path.name, headers=_PRIVATE)
