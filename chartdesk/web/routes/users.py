"""Users (administrators): add, disable or enable, change the role, reset the
password. Each change is made and audited by the access room; a disabled user
or a reset password ends that user's web sessions at once."""

from __future__ import annotations

from fastapi import APIRouter, Form
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from chartdesk import access
from chartdesk.access import Principal
from chartdesk.config import AccessSettings, Permission
from chartdesk.errors import ChartdeskError, UsageError
from chartdesk.web.auth import require
from chartdesk.web.context import web_context
from chartdesk.web.render import page

router = APIRouter()


@router.get("/users", summary="User accounts")
def users_page(request: Request, changed: str = "", principal: Principal = require(Permission.manage_users)) -> Response:
    return _page(request, principal, changed=changed)


def _page(request: Request, principal: Principal, *, changed: str = "", error: ChartdeskError | None = None,
          status: int = 200) -> Response:
    ctx = web_context(request)
    access.require_manager(principal)
    with ctx.app.db.read() as conn:
        users = access.list_users(conn)
    return page(request, "users.html", status=status, users=users, roles=ctx.settings.access.roles,
                changed=changed[:64], error=error, min_length=ctx.settings.access.login.min_password_length)


@router.post("/users", summary="Add a user")
def add_user(
    request: Request,
    username: str = Form(max_length=64),
    role: str = Form(max_length=32),
    password: str = Form(max_length=1024),
    display_name: str = Form("", max_length=200),
    principal: Principal = require(Permission.manage_users),
) -> Response:
    ctx = web_context(request)
    try:
        with ctx.app.db.write() as conn:
            access.add_user(conn, principal, ctx.settings.access, username=username.strip(), role=role,
                            password=password, display_name=display_name.strip(), temporary=True)
    except ChartdeskError as err:
        return _refused(request, principal, err)
    return RedirectResponse(f"/users?changed={username.strip()}", status_code=303)


@router.post("/users/{username}", summary="Change a user")
def change_user(
    request: Request,
    username: str,
    action: str = Form(max_length=32),
    role: str = Form("", max_length=32),
    password: str = Form("", max_length=1024),
    principal: Principal = require(Permission.manage_users),
) -> Response:
    ctx = web_context(request)
    try:
        with ctx.app.db.write() as conn:
            user = _apply(conn, principal, ctx.settings.access, username, action, role=role, password=password)
    except ChartdeskError as err:
        return _refused(request, principal, err)
    if action in ("disable", "reset_password", "role"):
        ctx.sessions.end_user(user.id)
    return RedirectResponse(f"/users?changed={username}", status_code=303)


def _apply(conn: Connection, principal: Principal, access_settings: AccessSettings, username: str, action: str,
           *, role: str, password: str) -> access.User:
    if action in ("disable", "enable"):
        return access.set_disabled(conn, principal, username, disabled=action == "disable")
    if action == "role":
        return access.set_role(conn, principal, access_settings, username, role)
    if action == "reset_password":
        return access.reset_password(conn, principal, access_settings, username, password)
    raise UsageError(f"unknown change {action[:32]!r}", remedy="use the buttons on the users page")


def _refused(request: Request, principal: Principal, err: ChartdeskError) -> Response:
    if err.http_status not in (400, 404, 409):
        raise err
    return _page(request, principal, error=err, status=err.http_status)
