"""The app factory: `create_app(settings) -> FastAPI`.

One FastAPI app per installation: the routers of every page, the error handler,
security headers, trusted-proxy headers, and the OpenAPI document at
/openapi.json (for logged-in users; the interactive docs are not served, as they
would load scripts from elsewhere).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import JSONResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from chartdesk import __version__
from chartdesk.access import Principal
from chartdesk.app import App, open_app
from chartdesk.config import Settings
from chartdesk.db import Database
from chartdesk.web import errors
from chartdesk.web.auth import LOGGED_IN
from chartdesk.web.context import WebContext
from chartdesk.web.headers import SecurityHeaders
from chartdesk.web.render import make_templates
from chartdesk.web.routes import ROUTERS
from chartdesk.web.routes.static import load_assets
from chartdesk.web.sessions import SessionStore
from chartdesk.web.throttle import LoginThrottle

log = logging.getLogger(__name__)

OPENAPI_PATH = "/openapi.json"


def create_app(settings: Settings, *, app: App | None = None) -> FastAPI:
    """The web UI of the installation `settings` names (opened here unless `app` is given)."""
    ctx = _context(settings, app)
    web = FastAPI(
        title="chartdesk",
        version=__version__,
        description="The records desk of a medical office: search, charts, documents, review and audit.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan(ctx),
    )
    web.state.chartdesk = ctx
    errors.install(web)
    for router in ROUTERS:
        web.include_router(router)
    _add_openapi(web)
    web.add_middleware(SecurityHeaders)
    if settings.web.proxy_addresses:
        web.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.web.proxy_addresses))
    return web


def _context(settings: Settings, app: App | None) -> WebContext:
    login = settings.access.login
    ctx = WebContext(
        app=app or _open_serialised(settings),
        sessions=SessionStore(
            idle_seconds=login.session_idle_minutes * 60,
            lifetime_seconds=login.session_max_hours * 3600,
            max_sessions=settings.web.max_sessions,
        ),
        throttle=LoginThrottle(settings.web.login_attempts_per_minute),
        templates=make_templates(),
        owns_app=app is None,
    )
    ctx.extras["assets"] = load_assets()
    return ctx


class SerialWrites(Database):
    """Write transactions of this process take turns on a lock before SQLite's.

    Many request threads each writing one audit event would otherwise meet at
    SQLite's write lock, whose busy handler sleeps in growing steps (up to 100 ms)
    before trying again: most requests would be quick and a few very slow.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._turn = threading.Lock()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._turn, super().write() as conn:
            yield conn


def _open_serialised(settings: Settings) -> App:
    app = open_app(settings)
    app.db.dispose()
    app.db = SerialWrites(settings.database_url)
    return app


def _lifespan(ctx: WebContext):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            close_context(ctx)

    return lifespan


def close_context(ctx: WebContext) -> None:
    for value in ctx.extras.values():
        closer = getattr(value, "close", None)
        if callable(closer):
            closer()
    if ctx.owns_app:
        ctx.app.close()


def _add_openapi(web: FastAPI) -> None:
    def openapi_document(request: Request, _: Principal = LOGGED_IN) -> JSONResponse:
        if web.openapi_schema is None:
            web.openapi_schema = get_openapi(title=web.title, version=web.version, description=web.description,
                                             routes=web.routes)
        return JSONResponse(web.openapi_schema)

    web.add_api_route(OPENAPI_PATH, openapi_document, methods=["GET"], include_in_schema=False)
