"""Server-rendered pages: one Jinja2 environment (autoescaped: document text,
names and snippets from users show as text, never as markup), the layout's
navigation (drawn from what the policy allows the user), and `page()`.

Pages that show patient data are never cached by the browser (Cache-Control:
no-store); the security headers come from web/headers.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from chartdesk import access
from chartdesk.config import Permission
from chartdesk.web import cookies


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    key: str  # the access key (Alt+key) shown underlined
    permission: Permission


NAV: tuple[NavItem, ...] = (
    NavItem("/search", "Search", "s", Permission.search),
    NavItem("/review", "Review queue", "r", Permission.review),
    NavItem("/status", "Status", "t", Permission.maintain),
    NavItem("/audit", "Audit", "a", Permission.audit_read),
    NavItem("/retention", "Retention", "e", Permission.retention),
    NavItem("/users", "Users", "u", Permission.manage_users),
)


def make_templates() -> Environment:
    env = Environment(
        loader=PackageLoader("chartdesk.web", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=format_when, day=format_day, size=format_size, seconds=format_seconds)
    env.globals.update(query_string=query_string)
    return env


def page(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    env: Environment = request.app.state.chartdesk.templates
    html = env.get_template(template).render(**layout_values(request), **values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def layout_values(request: Request) -> dict[str, Any]:
    principal = getattr(request.state, "principal", None)
    session = getattr(request.state, "session", None)
    csrf = session.csrf if session is not None else getattr(request.state, "login_csrf", "")
    return {
        "request": request,
        "principal": principal,
        "csrf_token": csrf,
        "nav": [item for item in NAV if principal is not None and access.may(principal, item.permission)]
        if principal is not None and not getattr(session, "must_change_password", False) else [],
        "can_search": principal is not None and access.may(principal, Permission.search),
        "path": request.url.path,
        "secure": cookies.is_secure(request),
    }


def query_string(values: Mapping[str, Any], **changes: Any) -> str:
    merged = {**values, **changes}
    return urlencode([(k, v) for k, v in merged.items() if v not in (None, "", 0) or k == "page"])


def format_when(value: dt.datetime | None) -> str:
    """A moment in the office's local time, to the minute."""
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def format_day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone().date()
    return value.isoformat()


def format_size(value: int | None) -> str:
    if value is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024  # type: ignore[assignment]
    return ""


def format_seconds(value: float | None) -> str:
    if value is None:
        return ""
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes}:{seconds:02d}"
