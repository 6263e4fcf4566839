"""The compliance pages: query the audit log (and export it as CSV), the
accounting of disclosures for a patient, break-the-glass reviews, and the
audit chain check."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.errors import UsageError
from chartdesk.records import compliance
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


def _form(request: Request) -> compliance.AuditForm:
    params = request.query_params
    if not any(params.get(k) for k in ("user", "patient", "document", "action", "outcome", "since", "until",
                                        "break_glass")):
        return compliance.AuditForm.default()
    try:
        limit = int(params.get("limit") or 500)
    except ValueError:
        raise UsageError("the limit is not a number", remedy="type a number such as 500") from None
    return compliance.AuditForm(user=params.get("user", "")[:64], patient=params.get("patient", "")[:12],
                                document=params.get("document", "")[:12], action=params.get("action", "")[:40],
                                outcome=params.get("outcome", "")[:16], since=params.get("since", "")[:32],
                                until=params.get("until", "")[:32], break_glass=params.get("break_glass") == "1",
                                limit=limit)


@router.get("/audit", summary="Query the audit log")
def audit_page(request: Request, principal: Principal = require(Permission.audit_read)) -> Response:
    form = _form(request)
    records: list[audit.AuditRecord] | None = None
    error = None
    try:
        records = compliance.query(web_context(request).app, principal, form)
    except UsageError as err:
        error = err
    return page(request, "audit.html", status=400 if error else 200, form=form, records=records, error=error,
                actions=sorted(audit.EVENT_TYPES), outcomes=audit.OUTCOMES, raw=dict(request.query_params))


@router.get("/audit/export.csv", summary="The audit query as CSV")
def audit_csv(request: Request, principal: Principal = require(Permission.audit_read)) -> Response:
    records = compliance.query(web_context(request).app, principal, _form(request), export="csv")
    name = f"audit-{dt.date.today().isoformat()}.csv"
    return Response(compliance.as_csv(records), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/audit/disclosures", summary="Accounting of disclosures for a patient")
def disclosures_page(request: Request, patient: str = "",
                     principal: Principal = require(Permission.accounting)) -> Response:
    entries = None
    error = None
    if patient.strip():
        try:
            number = compliance.number(patient, "patient")
            assert number is not None
            entries = compliance.disclosures(web_context(request).app, principal, number)
        except UsageError as err:
            error = err
    years = web_context(request).settings.access.disclosure_years
    return page(request, "disclosures.html", status=400 if error else 200, patient=patient[:12], entries=entries,
                error=error, years=years)


@router.get("/audit/grants", summary="Break-the-glass grants to review")
def grants_page(request: Request, show: str = "pending", reviewed: int | None = None,
                principal: Principal = require(Permission.review_break_glass)) -> Response:
    rows = compliance.grants(web_context(request).app, principal, pending_only=show != "all")
    return page(request, "grants.html", grants=rows, show=show, reviewed=reviewed, error=None)


@router.post("/audit/grants/{grant_id}", summary="Close the review of a break-the-glass grant")
def review_grant(request: Request, grant_id: int, status: str = Form(max_length=16), note: str = Form(max_length=2000),
                 principal: Principal = require(Permission.review_break_glass)) -> Response:
    compliance.review_grant(web_context(request).app, principal, grant_id, status=status, note=note)
    return RedirectResponse(f"/audit/grants?reviewed={grant_id}", status_code=303)


@router.get("/audit/verify", summary="Check the audit chain")
def verify_page(request: Request, principal: Principal = require(Permission.audit_verify)) -> Response:
    return page(request, "verify.html", report=None)


@router.post("/audit/verify", summary="Check the audit chain now")
def verify(request: Request, principal: Principal = require(Permission.audit_verify)) -> Response:
    report = compliance.verify(web_context(request).app, principal)
    return page(request, "verify.html", report=report)
