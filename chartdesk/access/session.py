"""How a command-line run finds its user: --user NAME (or $CHARTDESK_USER) with
$CHARTDESK_PASSWORD, else the user's token file, else a password prompt on a
terminal. Anything else is refused with how to log in."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from chartdesk.access.errors import LoginRequiredError
from chartdesk.access.login import LoginResult, authenticate, authenticate_token
from chartdesk.access.principal import Principal
from chartdesk.access.tokens import read_token_file, token_path
from chartdesk.config import Settings
from chartdesk.db import Database

PASSWORD_ENV = "CHARTDESK_PASSWORD"
USER_ENV = "CHARTDESK_USER"
HOW_TO_LOG_IN = (
    "run it as a user: `chartdesk --user NAME ...` (or set CHARTDESK_USER) and type the password, "
    "or set CHARTDESK_PASSWORD, or create a token for scripts with `chartdesk --user NAME users token`"
)
PasswordPrompt = Callable[[str], str]


def cli_login(
    db: Database, settings: Settings, *, username: str | None, client: str,
    prompt: PasswordPrompt | None = None, environ: Mapping[str, str] = os.environ,
    allow_temporary: bool = False, allow_token: bool = True,
) -> Principal:
    """Log in for one command. `prompt` asks for a password (None: no terminal);
    `allow_token` False insists on the password (e.g. to issue a new token)."""
    result = _login(db, settings, username, client, prompt, environ, allow_token=allow_token)
    if result.must_change_password and not allow_temporary:
        raise LoginRequiredError(
            "your password is temporary and must be changed first",
            remedy=f"run `chartdesk --user {result.principal.username} users passwd`",
        )
    return result.principal


def _login(db: Database, settings: Settings, username: str | None, client: str,
           prompt: PasswordPrompt | None, environ: Mapping[str, str], *, allow_token: bool) -> LoginResult:
    access = settings.access
    password = environ.get(PASSWORD_ENV)
    if username and password:
        return authenticate(db, access, username, password, client=client)
    token = read_token_file(token_path(settings, environ)) if allow_token else None
    if token is not None and (username is None or token.username == username):
        return authenticate_token(db, access, token.token, client=client, username=token.username)
    if username and prompt is not None:
        return authenticate(db, access, username, prompt(f"password for {username}"), client=client)
    what = "no user was given" if not username else f"no password for {username} (no terminal to ask on)"
    raise LoginRequiredError(f"this command reads or changes records and {what}", remedy=HOW_TO_LOG_IN)
