"""A patient's chart: demographics and the documents the user may open, by
class and date. Documents hidden from the user are not listed; roles that may
break the glass see how many there are."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from chartdesk import access
from chartdesk.access import Principal
from chartdesk.config import Permission
from chartdesk.records import reading
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


@router.get("/patients/{patient_id}", summary="A patient's chart")
def chart_page(request: Request, patient_id: int, principal: Principal = require(Permission.view)) -> Response:
    view = reading.open_chart(web_context(request).app, principal, patient_id)
    return page(request, "chart.html", view=view, can_release=access.may(principal, Permission.disclose))
