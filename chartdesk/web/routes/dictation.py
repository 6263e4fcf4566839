"""The transcript of a dictation: read it beside the timed segments, correct it,
confirm it. Confirming removes the "unverified draft" mark."""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk import access
from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.errors import NotFoundError, UsageError
from chartdesk.records import dictation, reading
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


@router.get("/documents/{doc_id}/transcript", summary="Confirm or correct a transcript")
def transcript_page(request: Request, doc_id: int,
                    principal: Principal = require(Permission.confirm_transcript)) -> Response:
    return _page(request, principal, doc_id)


def _page(request: Request, principal: Principal, doc_id: int, *, error: UsageError | None = None,
          text: str | None = None) -> Response:
    app = web_context(request).app
    with app.db.read() as conn:
        access.require_document(conn, principal, doc_id, "confirm_transcript")
    view = reading.open_document(app, principal, doc_id)
    if view.transcript is None:
        raise NotFoundError(f"document {doc_id} has no transcript", remedy="only dictations have one")
    return page(request, "transcript.html", status=400 if error else 200, view=view, error=error,
                text=view.transcript.text if text is None else text)


@router.post("/documents/{doc_id}/transcript", summary="Confirm a transcript, with or without corrections")
def confirm(request: Request, doc_id: int, text: str = Form("", max_length=dictation.MAX_CHARS + 1000),
            action: str = Form("confirm", max_length=16),
            principal: Principal = require(Permission.confirm_transcript)) -> Response:
    try:
        dictation.confirm(web_context(request).app, principal, doc_id,
                          text=text if action == "correct" else None)
    except UsageError as err:
        return _page(request, principal, doc_id, error=err, text=text)
    return RedirectResponse(f"/documents/{doc_id}", status_code=303)
