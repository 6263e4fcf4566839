"""Logging in: a password or a script token becomes a Principal.

The password is checked outside any transaction (argon2 takes a moment), then
one short write transaction records the outcome: the Login or LoginFailed
audit event, the failure count and, at the limit, the lock-out. An unknown
user name is refused after the same work as a wrong password, with the same
message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from chartdesk import audit
from chartdesk.access.errors import AuthenticationError
from chartdesk.access.passwords import burn_time, check_password, hash_password, needs_rehash
from chartdesk.access.principal import Principal, principal_for
from chartdesk.config import AccessSettings
from chartdesk.db import Database, user_tokens, users, utcnow

WRONG = "the user name or password is wrong"
WRONG_REMEDY = "check both and try again; after several wrong tries the account is locked for a while"


@dataclass(frozen=True)
class LoginResult:
    principal: Principal
    must_change_password: bool


def authenticate(db: Database, access: AccessSettings, username: str, password: str, *, client: str) -> LoginResult:
    """Check a password. Raises AuthenticationError (and audits it) when it fails."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    now = utcnow()
    if row is None:
        burn_time(access.login, password)
        _refuse(db, _anonymous(username, client), "unknown_user", "password", WRONG, WRONG_REMEDY)
    assert row is not None
    principal = principal_for(access, user_id=row.id, username=row.username, role=row.role, client=client)
    if row.locked_until is not None and row.locked_until > now:
        burn_time(access.login, password)
        _refuse(db, principal, "locked", "password", *_locked_message(row.locked_until, now))
    if not check_password(access.login, row.password_hash, password):
        _wrong_password(db, access, principal, now)
    if row.disabled:
        _refuse(db, principal, "disabled", "password", "this account is disabled",
                "ask an administrator to enable it")
    with db.write() as conn:
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if needs_rehash(access.login, row.password_hash):
            values["password_hash"] = hash_password(access.login, password)
        conn.execute(users.update().where(users.c.id == row.id).values(**values))
        audit.record(conn, audit.Login(principal=principal, method="password"))
    return LoginResult(principal, bool(row.must_change_password))


def authenticate_token(db: Database, access: AccessSettings, token: str, *, client: str,
                       username: str | None = None) -> LoginResult:
    """Check a script token (from `chartdesk users token`)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = utcnow()
    with db.read() as conn:
        row = conn.execute(
            select(users, user_tokens.c.expires_at, user_tokens.c.revoked_at)
            .join(user_tokens, user_tokens.c.user_id == users.c.id)
            .where(user_tokens.c.token_hash == digest)
        ).first()
    who = _anonymous(username or "?", client) if row is None else principal_for(
        access, user_id=row.id, username=row.username, role=row.role, client=client)
    if row is None or row.revoked_at is not None or (username and row.username != username):
        _refuse(db, who, "bad_token", "token", "the login token is not valid",
                "create a new one with `chartdesk --user NAME users token`")
    assert row is not None
    if row.expires_at <= now:
        _refuse(db, who, "token_expired", "token", "the login token has expired",
                "create a new one with `chartdesk --user NAME users token`")
    if row.disabled:
        _refuse(db, who, "disabled", "token", "this account is disabled", "ask an administrator to enable it")
    with db.write() as conn:
        conn.execute(users.update().where(users.c.id == row.id).values(last_login_at=now))
        audit.record(conn, audit.Login(principal=who, method="token"))
    return LoginResult(who, bool(row.must_change_password))


def load_principal(conn: Connection, access: AccessSettings, user_id: int, *, client: str) -> Principal | None:
    """The principal for a user id (e.g. a web session), or None when the
    account is gone or disabled. The role is read afresh each time."""
    row = conn.execute(select(users.c.username, users.c.role, users.c.disabled).where(users.c.id == user_id)).first()
    if row is None or row.disabled:
        return None
    return principal_for(access, user_id=user_id, username=row.username, role=row.role, client=client)


def _anonymous(username: str, client: str) -> Principal:
    return Principal(user_id=None, username=username[:64], role="", client=client)


def _wrong_password(db: Database, access: AccessSettings, principal: Principal, now: dt.datetime) -> None:
    limit = access.login.max_failed
    with db.write() as conn:
        failed = int(conn.execute(select(users.c.failed_logins).where(users.c.id == principal.user_id)).scalar_one()) + 1
        values: dict[str, Any] = {"failed_logins": failed}
        if failed >= limit:
            values.update(failed_logins=0, locked_until=now + dt.timedelta(minutes=access.login.lockout_minutes))
        conn.execute(users.update().where(users.c.id == principal.user_id).values(**values))
        reason = "wrong_password_locked" if failed >= limit else "wrong_password"
        audit.record(conn, audit.LoginFailed(principal=principal, method="password", reason=reason,
                                             extra={"failures": failed}))
    raise AuthenticationError(WRONG, remedy=WRONG_REMEDY)


def _refuse(db: Database, principal: Principal, reason: str, method: str, message: str, remedy: str) -> None:
    with db.write() as conn:
        audit.record(conn, audit.LoginFailed(principal=principal, method=method, reason=reason))
    raise AuthenticationError(message, remedy=remedy)


def _locked_message(until: dt.datetime, now: dt.datetime) -> tuple[str, str]:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return (
        "this account is locked after too many wrong passwords",
        f"try again in {minutes} minutes, or ask an administrator to reset the password",
    )
