"""What every request of one web app shares: the installation, the session
store, the login throttle and the templates. Built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from chartdesk.app import App
from chartdesk.config import Settings
from chartdesk.web.sessions import SessionStore
from chartdesk.web.throttle import LoginThrottle

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass
class WebContext:
    app: App
    sessions: SessionStore
    throttle: LoginThrottle
    templates: Environment
    owns_app: bool = False
    extras: dict[str, Any] = field(default_factory=dict)  # per-process caches (e.g. the live index)

    @property
    def settings(self) -> Settings:
        return self.app.settings


def web_context(conn: HTTPConnection) -> WebContext:
    ctx: WebContext = conn.app.state.chartdesk
    return ctx


def client_of(conn: HTTPConnection) -> str:
    """Where a request came from, for the audit log ("web:<address>").

    Behind a trusted proxy the address is the staff member's computer, as the
    proxy-headers middleware has already replaced it."""
    host = conn.client.host if conn.client else "unknown"
    return f"web:{host}"[:200]
