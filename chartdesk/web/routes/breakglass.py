"""Break the glass: open a restricted document or chart for a stated reason,
for a limited time. The grant is audited and waits for a compliance officer's
review; the policy (access room) decides what the grant opens."""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk import access
from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.errors import UsageError
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


@router.get("/break-glass", summary="Ask for emergency access")
def break_glass_form(request: Request, patient: int | None = None, document: int | None = None,
                     principal: Principal = require(Permission.break_glass)) -> Response:
    return _form(request, patient=patient, document=document)


def _form(request: Request, *, patient: int | None, document: int | None, error: Exception | None = None,
          reason: str = "", status: int = 200) -> Response:
    limits = web_context(request).settings.access.break_glass
    return page(request, "break_glass.html", status=status, patient=patient, document=document, error=error,
                reason=reason, limits=limits)


@router.post("/break-glass", summary="Open restricted records for a reason")
def break_glass(
    request: Request,
    reason: str = Form(max_length=2000),
    minutes: int = Form(60),
    patient: int | None = Form(None),
    document: int | None = Form(None),
    principal: Principal = require(Permission.break_glass),
) -> Response:
    ctx = web_context(request)
    try:
        with ctx.app.db.write() as conn:
            access.break_glass(conn, principal, ctx.settings.access.break_glass, reason=reason, minutes=minutes,
                               document_id=document, patient_id=None if document else patient)
    except UsageError as err:
        return _form(request, patient=patient, document=document, error=err, reason=reason, status=400)
    target = f"/documents/{document}" if document else f"/patients/{patient}"
    return RedirectResponse(target, status_code=303)
