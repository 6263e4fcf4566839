"""Release of information: choose documents of a chart, name the recipient and
purpose, and download one PDF; the release is entered in the register of
disclosures (the accounting report lists it)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import Response

from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.errors import UsageError
from chartdesk.records import reading, release
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


@router.get("/patients/{patient_id}/release", summary="Choose documents to release")
def release_form(request: Request, patient_id: int, principal: Principal = require(Permission.disclose)) -> Response:
    return _form(request, principal, patient_id)


def _form(request: Request, principal: Principal, patient_id: int, *, error: UsageError | None = None,
          values: dict[str, object] | None = None) -> Response:
    view = reading.open_chart(web_context(request).app, principal, patient_id)
    return page(request, "release.html", status=400 if error else 200, view=view, error=error,
                values=values or {"disclosed_on": dt.date.today().isoformat(), "doc_ids": []},
                today=dt.date.today().isoformat())


@router.post("/patients/{patient_id}/release", summary="Release documents as one PDF")
def release_bundle(
    request: Request,
    patient_id: int,
    doc_ids: list[int] = Form(default_factory=list),
    recipient: str = Form("", max_length=500),
    address: str = Form("", max_length=1000),
    purpose: str = Form("", max_length=1000),
    description: str = Form("", max_length=1000),
    disclosed_on: str = Form("", max_length=10),
    principal: Principal = require(Permission.disclose),
) -> Response:
    values = {"recipient": recipient, "address": address, "purpose": purpose, "description": description,
              "disclosed_on": disclosed_on, "doc_ids": doc_ids}
    try:
        day = _day(disclosed_on)
        bundle = release.release(web_context(request).app, principal, release.ReleaseOrder(
            patient_id, tuple(dict.fromkeys(doc_ids)), recipient, address, purpose,
            description or f"{len(doc_ids)} document(s)", day))
    except UsageError as err:
        return _form(request, principal, patient_id, error=err, values=values)
    return Response(bundle.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{bundle.filename}"', "Cache-Control": "no-store"})


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError("the date of the release is missing or not a date", remedy="use the date picker") from None
