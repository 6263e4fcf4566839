"""The two cookies and their flags.

Both are HttpOnly and SameSite=Strict. They are Secure whenever TLS is in front
(served here over TLS, a trusted proxy says https, or web.secure_cookies), and
then carry the __Host- prefix, which the browser only accepts from a secure
origin with Path=/ and no Domain: a sibling site cannot plant one.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from chartdesk.web.context import web_context

SESSION = "cd_session"
LOGIN = "cd_login"  # the CSRF token of the login form, before there is a session


def is_secure(conn: HTTPConnection) -> bool:
    web = web_context(conn).settings.web
    return web.tls or web.secure_cookies or conn.url.scheme == "https"


def name(conn: HTTPConnection, base: str) -> str:
    return f"__Host-{base}" if is_secure(conn) else base


def read(conn: HTTPConnection, base: str) -> str | None:
    return conn.cookies.get(name(conn, base))


def write(conn: HTTPConnection, response: Response, base: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name(conn, base), value, max_age=max_age, path="/", secure=is_secure(conn), httponly=True, samesite="strict"
    )


def clear(conn: HTTPConnection, response: Response, base: str) -> None:
    response.delete_cookie(name(conn, base), path="/", secure=is_secure(conn), httponly=True, samesite="strict")
