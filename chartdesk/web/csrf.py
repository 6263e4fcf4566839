"""Cross-site request forgery: every state-changing request must prove it came
from a chartdesk page.

Three checks, all on every POST/PUT/PATCH/DELETE:
- the browser's Sec-Fetch-Site and Origin headers, when sent, name this site;
- the request carries the token of the session (form field `csrf_token`, or the
  `X-CSRF-Token` header for scripts), compared in constant time;
- before login, the token is the one in the login cookie (double submit), so a
  forged login form cannot log a victim into an attacker's account.
Cookies are SameSite=Strict on top of this.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from chartdesk.errors import ChartdeskError, ExitCode

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfError(ChartdeskError):
    """A state-changing request without this site's token."""

    exit_code = ExitCode.not_permitted
    http_status = 403

    def __init__(self) -> None:
        super().__init__(
            "this form has expired or did not come from a chartdesk page, so nothing was changed",
            remedy="go back, reload the page and send the form again",
        )


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_state_changing(request: Request) -> bool:
    return request.method not in SAFE_METHODS


async def check(request: Request, expected: str | None) -> None:
    """Raise CsrfError unless the request is same-site and carries `expected`."""
    _check_site(request)
    supplied = request.headers.get(HEADER)
    if not supplied and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(FIELD)
        supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise CsrfError()


def _check_site(request: Request) -> None:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise CsrfError()
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request):
        raise CsrfError()


def own_origin(request: Request) -> str:
    url = request.url
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    port = f":{url.port}" if url.port and url.port != default_port else ""
    return f"{url.scheme}://{url.hostname}{port}"
