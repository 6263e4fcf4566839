"""One document: its page images with the text beside them (search words
marked), the transcript of a dictation with times, and the original file.

A document that does not exist and one the user may not open give the same
404 page; both are audited (not_found / denied).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.records import reading
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.highlight import mark
from chartdesk.web.render import page

router = APIRouter()

_PRIVATE = {"Cache-Control": "no-store"}


@router.get("/documents/{doc_id}", summary="Open a document")
def document_page(request: Request, doc_id: int, q: str = "", page_no: int = 1,
                  principal: Principal = require(Permission.view)) -> Response:
    ctx = web_context(request)
    view = reading.open_document(ctx.app, principal, doc_id)
    numbers = [p.page_no for p in view.pages]
    current = next((p for p in view.pages if p.page_no == page_no), view.pages[0] if view.pages else None)
    return page(request, "document.html", view=view, current=current, numbers=numbers, q=q,
                text=mark(current.text, q) if current else "", mark=mark)


@router.get("/documents/{doc_id}/pages/{page_no}/image", summary="One page as an image")
def page_image(request: Request, doc_id: int, page_no: int,
               principal: Principal = require(Permission.view)) -> Response:
    path = reading.page_image(web_context(request).app, principal, doc_id, page_no)
    return FileResponse(path, media_type=_image_type(path.suffix), headers=_PRIVATE)


@router.get("/documents/{doc_id}/original", summary="Download the original file")
def original(request: Request, doc_id: int, principal: Principal = require(Permission.download)) -> Response:
    found = reading.original(web_context(request).app, principal, doc_id)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename, headers=_PRIVATE)


def _image_type(suffix: str) -> str:
    return {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
        suffix.lower(), "application/octet-stream")
