"""The one web handler that turns errors into pages (or JSON for API clients).

chartdesk's typed errors carry their HTTP status and a message that says what
to do. A missing document and one the user may not open raise the same
DocumentNotFoundError, so both answers are identical here. Anything unexpected
becomes a 500 page with a reference number; the log line carries that number
and the error type, never request data.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from chartdesk.access import LoginRequiredError
from chartdesk.errors import ChartdeskError
from chartdesk.web.auth import PasswordChangeRequired
from chartdesk.web.render import page

log = logging.getLogger(__name__)

_TITLES = {
    400: "That request could not be carried out",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "Someone else changed this first",
    422: "That file cannot be processed",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "A part of chartdesk is not available",
}

_HTTP_TEXT = {
    404: ("there is no such page", "check the address, or use the menu above"),
    405: ("this page cannot be used that way", "go back and use the buttons on the page"),
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(ChartdeskError, _chartdesk_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def error_response(request: Request, status: int, message: str, remedy: str, *, reference: str = "") -> Response:
    if wants_json(request):
        body = {"error": message, "remedy": remedy, **({"reference": reference} if reference else {})}
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    return page(request, "error.html", status=status, title=_TITLES.get(status, "That did not work"),
                message=_sentence(message), remedy=_sentence(remedy), reference=reference)


async def _chartdesk_error(request: Request, exc: ChartdeskError) -> Response:
    if isinstance(exc, PasswordChangeRequired):
        return RedirectResponse("/password", status_code=303)
    if isinstance(exc, LoginRequiredError) and _is_page_visit(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    status = exc.http_status if 400 <= exc.http_status < 600 else 500
    return error_response(request, status, exc.message, exc.remedy)


def _is_page_visit(request: Request) -> bool:
    return request.method == "GET" and not wants_json(request)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted({str(err["loc"][-1]) for err in exc.errors() if err.get("loc")})
    named = ", ".join(f.replace("_", " ") for f in fields) or "the form"
    return error_response(request, 400, f"some of what was sent is missing or not valid ({named})",
                          "go back, check those fields and try again")


async def _http_error(request: Request, exc: HTTPException) -> Response:
    message, remedy = _HTTP_TEXT.get(exc.status_code, (str(exc.detail), "go back and try again"))
    return error_response(request, exc.status_code, message, remedy)


async def _unexpected(request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(4)
    # The frames and the type only: an exception's message may quote request data.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("internal error %s on %s %s: %s\n%s", reference, request.method, request.url.path.split("/")[1:2],
              type(exc).__name__, frames)
    return error_response(request, 500, "chartdesk hit an internal error; nothing you did caused it",
                          "try again; if it happens again, tell your IT contact this reference", reference=reference)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
