"""The search page: a query box, filters (class, patient, date, source), ranked
results with highlighted snippets, paging. Only documents the user may open
are counted or shown (the access filter runs inside the search engine)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from chartdesk.access import Principal
from chartdesk.config import Permission, Source
from chartdesk.errors import UsageError
from chartdesk.records import reading
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()

MAX_PAGE = 500


@router.get("/search", summary="Search documents")
def search_page(
    request: Request,
    q: str = "",
    doc_class: str = "",
    patient: str = "",
    source: str = "",
    date_from: str = "",
    date_to: str = "",
    page_no: int = 1,
    principal: Principal = require(Permission.search),
) -> Response:
    ctx = web_context(request)
    choices = {"classes": sorted(ctx.settings.classes), "sources": [s.value for s in Source]}
    try:
        form = _form(q, doc_class, patient, source, date_from, date_to, page_no, choices)
    except UsageError as err:
        return page(request, "search.html", status=400, form=None, raw=dict(request.query_params), result=None,
                    error=err, **choices)
    if not _asked(form):
        return page(request, "search.html", form=form, raw=dict(request.query_params), result=None, error=None, **choices)
    try:
        index = reading.live_index(ctx.app, ctx.extras)
        result = reading.search(ctx.app, index, principal, form)
    except UsageError as err:
        return page(request, "search.html", status=400, form=form, raw=dict(request.query_params), result=None,
                    error=err, **choices)
    return page(request, "search.html", form=form, raw=dict(request.query_params), result=result, error=None, **choices)


def _asked(form: reading.SearchForm) -> bool:
    return bool(form.q.strip() or form.doc_class or form.patient or form.source or form.date_from or form.date_to)


def _form(q: str, doc_class: str, patient: str, source: str, date_from: str, date_to: str, page_no: int,
          choices: dict[str, list[str]]) -> reading.SearchForm:
    if doc_class and doc_class not in choices["classes"]:
        raise UsageError(f"there is no document class {doc_class!r}", remedy="choose one from the list")
    if source and source not in choices["sources"]:
        raise UsageError(f"there is no source {source!r}", remedy="choose one from the list")
    if patient and not patient.isdigit():
        raise UsageError("the patient filter takes the patient's number", remedy="open the chart and use its link")
    if not 1 <= page_no <= MAX_PAGE:
        raise UsageError("there is no such page of results", remedy="go back to the first page")
    start, end = _date(date_from, "from"), _date(date_to, "to")
    if start and end and end < start:
        raise UsageError("the date range ends before it starts", remedy="put the earlier date in From")
    return reading.SearchForm(q=q[:2000], doc_class=doc_class, patient=patient, source=source, date_from=start,
                              date_to=end, page=page_no)


def _date(value: str, which: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"the {which} date {value[:20]!r} is not a date", remedy="use the date picker or YYYY-MM-DD") from None
