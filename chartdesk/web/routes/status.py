"""Status: documents by state, the index backlog, parked documents (retry) and
the quarantine with the reason for each file."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.records import operations
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


@router.get("/status", summary="Pipeline status and quarantine")
def status_page(request: Request, retried: int | None = None,
                principal: Principal = require(Permission.maintain)) -> Response:
    report = operations.status(web_context(request).app, principal)
    return page(request, "status.html", report=report, retried=retried)


@router.post("/status/retry/{doc_id}", summary="Process a parked document again")
def retry(request: Request, doc_id: int, principal: Principal = require(Permission.maintain)) -> Response:
    operations.retry(web_context(request).app, principal, doc_id)
    return RedirectResponse(f"/status?retried={doc_id}", status_code=303)
