"""Logging in and out, and choosing one's own password.

A successful login always starts a new session with a new token (whatever
session cookie the browser sent is ended first), so an identifier planted
before login is worthless. Wrong passwords count towards the account's
lock-out (the access room) and towards this address's login budget.
"""

from __future__ import annotations

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk import access
from chartdesk.access import AuthenticationError, Principal
from chartdesk.errors import ChartdeskError, UsageError
from chartdesk.web import cookies, csrf
from chartdesk.web.auth import LOGGED_IN, LOGGED_IN_TEMPORARY, PUBLIC, end_session
from chartdesk.web.context import client_of, web_context
from chartdesk.web.render import NAV, page

router = APIRouter()

LOGIN_COOKIE_SECONDS = 3600


class TooManyAttemptsError(ChartdeskError):
    http_status = 429

    def __init__(self, seconds: int) -> None:
        super().__init__("too many login attempts from this computer",
                         remedy=f"wait {seconds} seconds and try again")


@router.get("/login")
def login_form(request: Request, next: str = "/", _: None = PUBLIC) -> Response:  # noqa: A002
    ctx = web_context(request)
    if ctx.sessions.lookup(cookies.read(request, cookies.SESSION)).session is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, next=safe_next(next))


def _form(request: Request, *, next: str, error: ChartdeskError | None = None, username: str = "") -> Response:  # noqa: A002
    token = cookies.read(request, cookies.LOGIN) or csrf.new_token()
    request.state.login_csrf = token
    status = 200 if error is None else error.http_status
    response = page(request, "login.html", status=status, next=next, error=error, username=username)
    cookies.write(request, response, cookies.LOGIN, token, max_age=LOGIN_COOKIE_SECONDS)
    return response


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(max_length=64),
    password: str = Form(max_length=1024),
    next: str = Form("/"),  # noqa: A002
    _: None = PUBLIC,
) -> Response:
    ctx = web_context(request)
    address = client_of(request)
    if ctx.throttle.blocked(address):
        return _form(request, next=safe_next(next), error=TooManyAttemptsError(ctx.throttle.wait_seconds(address)),
                     username=username)
    try:
        result = await run_in_threadpool(
            access.authenticate, ctx.app.db, ctx.settings.access, username.strip(), password, client=address)
    except AuthenticationError as err:
        ctx.throttle.failed(address)
        return _form(request, next=safe_next(next), error=err, username=username)
    ctx.sessions.end(cookies.read(request, cookies.SESSION))  # never promote a planted id
    token, _session = ctx.sessions.create(result.principal.user_id or 0,
                                          must_change_password=result.must_change_password)
    target = "/password" if result.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    cookies.write(request, response, cookies.SESSION, token)
    cookies.clear(request, response, cookies.LOGIN)
    return response


@router.post("/logout")
def logout(request: Request, _: Principal = LOGGED_IN_TEMPORARY) -> Response:
    end_session(web_context(request), request, reason="logout")
    response = RedirectResponse("/login", status_code=303)
    cookies.clear(request, response, cookies.SESSION)
    return response


@router.get("/")
def home(request: Request, principal: Principal = LOGGED_IN) -> Response:
    for item in NAV:
        if access.may(principal, item.permission):
            return RedirectResponse(item.path, status_code=303)
    return page(request, "home.html")


@router.get("/password")
def password_form(request: Request, _: Principal = LOGGED_IN_TEMPORARY) -> Response:
    return page(request, "password.html", error=None)


@router.post("/password")
def change_password(
    request: Request,
    new_password: str = Form(max_length=1024),
    repeat: str = Form(max_length=1024),
    principal: Principal = LOGGED_IN_TEMPORARY,
) -> Response:
    ctx = web_context(request)
    try:
        if new_password != repeat:
            raise UsageError("the two passwords are not the same", remedy="type the new password twice")
        with ctx.app.db.write() as conn:
            access.change_own_password(conn, principal, ctx.settings.access, new_password)
    except UsageError as err:
        return page(request, "password.html", status=400, error=err)
    # A new password starts a new session and ends every other one of this user.
    ctx.sessions.end(cookies.read(request, cookies.SESSION))
    ctx.sessions.end_user(principal.user_id or 0)
    token, _session = ctx.sessions.create(principal.user_id or 0)
    response = RedirectResponse("/", status_code=303)
    cookies.write(request, response, cookies.SESSION, token)
    return response


def safe_next(target: str) -> str:
    """Only a path on this site: never another host (no open redirect)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target or "\r" in target:
        return "/"
    return target

