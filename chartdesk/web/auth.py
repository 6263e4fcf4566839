"""Every route declares what it needs, as a FastAPI dependency:

    @router.get("/search")
    def search_page(request: Request, principal: Principal = require(Permission.search)): ...

`require(permission)` (a permission of the access policy), `LOGGED_IN` (any
user, e.g. log out) or `PUBLIC` (the login page, static files). The dependency
finds the session, checks CSRF on state-changing requests, loads the principal
afresh (a disabled account or a changed role takes effect at the next request)
and asks the access policy. It decides nothing itself; a route without a
declared requirement fails tests/web/test_route_permissions.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from chartdesk import access, audit
from chartdesk.access import LoginRequiredError, NotPermittedError, Principal
from chartdesk.config import Permission
from chartdesk.errors import ChartdeskError
from chartdesk.web import cookies, csrf
from chartdesk.web.context import WebContext, client_of, web_context
from chartdesk.web.sessions import Session

log = logging.getLogger(__name__)

LOGIN_REMEDY = "log in to continue"


class PasswordChangeRequired(ChartdeskError):
    """The user logged in with a temporary password; the handler sends them to /password."""

    http_status = 303

    def __init__(self) -> None:
        super().__init__("your password is temporary", remedy="choose your own password to continue")


@dataclass(frozen=True)
class Requirement:
    """What one route needs. `permission` None with `public` False: any logged-in user."""

    permission: Permission | None = None
    public: bool = False
    temporary_password_ok: bool = False

    @property
    def label(self) -> str:
        return "public" if self.public else (str(self.permission) if self.permission else "logged_in")

    async def __call__(self, request: Request) -> Principal | None:
        if self.public:
            if csrf.is_state_changing(request):
                await csrf.check(request, cookies.read(request, cookies.LOGIN))
            return None
        ctx = web_context(request)
        if csrf.is_state_changing(request):
            session = await run_in_threadpool(_live_session, ctx, request)
            await csrf.check(request, session.csrf)
            return await run_in_threadpool(self._admit, ctx, request, session)
        # A page visit: the same steps in one trip to a worker thread (each trip
        # waits for a thread and the GIL, which under load cost more than the steps).
        return await run_in_threadpool(self._admit, ctx, request)

    def _admit(self, ctx: WebContext, request: Request, session: Session | None = None) -> Principal:
        """The session (unless already found), its principal read afresh, and the permission."""
        session = session or _live_session(ctx, request)
        principal = _principal(ctx, request, session)
        request.state.principal = principal  # error pages show who is logged in too
        request.state.session = session
        if session.must_change_password and not self.temporary_password_ok:
            raise PasswordChangeRequired()
        if self.permission is not None:
            _check_permission(principal, self.permission)
        return principal


def require(permission: Permission) -> Any:
    """Declare the permission a route needs (the access policy decides)."""
    return Depends(Requirement(permission))


PUBLIC: Any = Depends(Requirement(public=True))
LOGGED_IN: Any = Depends(Requirement())
# Pages a user with a temporary password may still reach (to change it, or to leave).
LOGGED_IN_TEMPORARY: Any = Depends(Requirement(temporary_password_ok=True))


def _live_session(ctx: WebContext, request: Request) -> Session:
    found = ctx.sessions.lookup(cookies.read(request, cookies.SESSION))
    if found.session is None:
        if found.ended and found.user_id is not None:
            _record_end(ctx, request, found.user_id, found.ended)
        raise LoginRequiredError("you are not logged in, or your session has ended", remedy=LOGIN_REMEDY)
    return found.session


def _principal(ctx: WebContext, request: Request, session: Session) -> Principal:
    with ctx.app.db.read() as conn:
        principal = access.load_principal(conn, ctx.settings.access, session.user_id, client=client_of(request))
    if principal is None:  # disabled or deleted since login
        ctx.sessions.end_user(session.user_id)
        raise LoginRequiredError("your account is no longer active", remedy="ask an administrator")
    return principal


def _check_permission(principal: Principal, permission: Permission) -> None:
    if not access.may(principal, permission):
        raise NotPermittedError(
            "your role does not allow this page",
            remedy="ask an administrator if your work needs it",
        )


def end_session(ctx: WebContext, request: Request, *, reason: str) -> None:
    """Log out: forget the session and write SessionEnded."""
    session = ctx.sessions.end(cookies.read(request, cookies.SESSION))
    if session is not None:
        _record_end(ctx, request, session.user_id, reason)


def _record_end(ctx: WebContext, request: Request, user_id: int, reason: str) -> None:
    log.info("web session of user %s ended: %s", user_id, reason)
    with ctx.app.db.write() as conn:
        principal = access.load_principal(conn, ctx.settings.access, user_id, client=client_of(request))
        if principal is not None:
            audit.record(conn, audit.SessionEnded(principal=principal, reason=reason))
