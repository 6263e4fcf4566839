"""The review queue: documents the pipeline could not file alone, with the
candidates and the evidence; a decision in a few keystrokes (1-9 picks a
candidate, Enter files it and opens the next item)."""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.errors import ChartdeskError, UsageError
from chartdesk.records import queue
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.highlight import mark
from chartdesk.web.render import page

router = APIRouter()


@router.get("/review", summary="The review queue")
def queue_page(request: Request, done: int | None = None,
               principal: Principal = require(Permission.review)) -> Response:
    items = queue.open_queue(web_context(request).app, principal)
    return page(request, "review_list.html", items=items, done=done, reason_text=queue.reason_text,
                waiting=queue.waiting_since)


@router.get("/review/{doc_id}", summary="One review item with its evidence")
def item_page(request: Request, doc_id: int, principal: Principal = require(Permission.review)) -> Response:
    return _item(request, principal, doc_id)


def _item(request: Request, principal: Principal, doc_id: int, *, error: ChartdeskError | None = None,
          status: int = 200) -> Response:
    ctx = web_context(request)
    view = queue.open_item(ctx.app, principal, doc_id)
    first = view.document.pages[0] if view.document.pages else None
    return page(request, "review_item.html", status=status, view=view, first=first,
                text=mark(first.text, "") if first else "", classes=sorted(ctx.settings.classes),
                reason_text=queue.reason_text, error=error)


@router.post("/review/{doc_id}/assign", summary="File a document to a patient and class")
def assign(
    request: Request,
    doc_id: int,
    patient: str = Form("", max_length=64),
    other_patient: str = Form("", max_length=64),
    doc_class: str = Form("", max_length=64),
    reason: str = Form("", max_length=1000),
    next_id: str = Form(""),
    principal: Principal = require(Permission.file),
) -> Response:
    try:
        queue.assign(web_context(request).app, principal, doc_id, patient=other_patient.strip() or patient,
                     doc_class=doc_class, reason=reason)
    except (UsageError, ChartdeskError) as err:
        if err.http_status not in (400, 404, 409):
            raise
        return _item(request, principal, doc_id, error=err, status=err.http_status)
    return _after_decision(doc_id, next_id)


@router.post("/review/{doc_id}/reject", summary="Take a document out of the records")
def reject(
    request: Request,
    doc_id: int,
    reason: str = Form("", max_length=1000),
    next_id: str = Form(""),
    principal: Principal = require(Permission.review),
) -> Response:
    try:
        queue.reject(web_context(request).app, principal, doc_id, reason=reason)
    except UsageError as err:
        return _item(request, principal, doc_id, error=err, status=400)
    return _after_decision(doc_id, next_id)


def _after_decision(doc_id: int, next_id: str) -> Response:
    target = f"/review/{int(next_id)}" if next_id.isdigit() else f"/review?done={doc_id}"
    return RedirectResponse(target, status_code=303)
