"""Local accounts: add, list, disable, enable, change role and password.

Each change is checked against the actor's rights (`manage_users`, or the
user themself for their own password) and audited in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from chartdesk import audit
from chartdesk.access.errors import NotPermittedError
from chartdesk.access.passwords import hash_password
from chartdesk.access.principal import Principal
from chartdesk.config import AccessSettings
from chartdesk.db import user_tokens, users, utcnow
from chartdesk.errors import ConflictError, NotFoundError, UsageError

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    must_change_password: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> User:
        m = row._mapping
        return cls(
            id=m["id"], username=m["username"], display_name=m["display_name"], role=m["role"],
            disabled=bool(m["disabled"]), must_change_password=bool(m["must_change_password"]),
            locked_until=m["locked_until"], last_login_at=m["last_login_at"], created_at=m["created_at"],
        )


def require_manager(actor: Principal) -> None:
    if not actor.rights.has("manage_users"):
        raise NotPermittedError(
            "only an administrator may manage user accounts", remedy="ask a user with the admin role"
        )


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise UsageError(
            f"{username!r} is not a valid user name",
            remedy="use 2-64 lower-case letters, digits, '.', '_' or '-', starting with a letter",
        )
    return username


def check_role(access: AccessSettings, role: str) -> str:
    if role not in access.roles:
        raise UsageError(f"there is no role {role!r}", remedy="use one of: " + ", ".join(access.roles))
    return role


def check_password_rules(access: AccessSettings, username: str, password: str) -> None:
    minimum = access.login.min_password_length
    if len(password) < minimum:
        raise UsageError(f"the password is shorter than {minimum} characters", remedy="choose a longer one")
    if username.lower() in password.lower():
        raise UsageError("the password contains the user name", remedy="choose another one")


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def get_user(conn: Connection, username: str) -> User:
    row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise NotFoundError(f"there is no user {username!r}", remedy="see `chartdesk users list`")
    return User.from_row(row)


def list_users(conn: Connection) -> list[User]:
    return [User.from_row(r) for r in conn.execute(select(users).order_by(users.c.username))]


def add_user(
    conn: Connection, actor: Principal, access: AccessSettings, *, username: str, role: str, password: str,
    display_name: str = "", temporary: bool = True,
) -> User:
    """Create an account. With `temporary`, the user must choose their own
    password at the first login."""
    require_manager(actor)
    check_username(username)
    check_role(access, role)
    check_password_rules(access, username, password)
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise ConflictError(f"user {username!r} already exists", remedy="pick another name")
    now = utcnow()
    user_id = conn.execute(
        users.insert().values(
            username=username, display_name=display_name, role=role,
            password_hash=hash_password(access.login, password), disabled=0,
            must_change_password=int(temporary), failed_logins=0,
            password_changed_at=now, created_at=now, updated_at=now,
        )
    ).inserted_primary_key[0]
    audit.record(conn, audit.UserChanged(principal=actor, target=username, target_id=user_id, change="created",
                                         extra={"role": role}))
    return get_user(conn, username)


def set_disabled(conn: Connection, actor: Principal, username: str, *, disabled: bool) -> User:
    require_manager(actor)
    user = get_user(conn, username)
    if disabled and user.id == actor.user_id:
        raise UsageError("you cannot disable your own account", remedy="ask another administrator")
    conn.execute(users.update().where(users.c.id == user.id).values(disabled=int(disabled), updated_at=utcnow()))
    if disabled:
        revoke_tokens(conn, user.id)
    change = "disabled" if disabled else "enabled"
    audit.record(conn, audit.UserChanged(principal=actor, target=username, target_id=user.id, change=change))
    return get_user(conn, username)


def set_role(conn: Connection, actor: Principal, access: AccessSettings, username: str, role: str) -> User:
    require_manager(actor)
    check_role(access, role)
    user = get_user(conn, username)
    conn.execute(users.update().where(users.c.id == user.id).values(role=role, updated_at=utcnow()))
    audit.record(conn, audit.RoleChanged(principal=actor, target=username, target_id=user.id,
                                         old_role=user.role, new_role=role))
    return get_user(conn, username)


def reset_password(conn: Connection, actor: Principal, access: AccessSettings, username: str, password: str) -> User:
    """An administrator sets a temporary password (and unlocks the account)."""
    require_manager(actor)
    user = get_user(conn, username)
    check_password_rules(access, username, password)
    _store_password(conn, access, user.id, password, temporary=True)
    revoke_tokens(conn, user.id)
    audit.record(conn, audit.UserChanged(principal=actor, target=username, target_id=user.id,
                                         change="password_reset"))
    return get_user(conn, username)


def change_own_password(conn: Connection, actor: Principal, access: AccessSettings, new_password: str) -> None:
    """A logged-in user sets their own password (they proved the old one by logging in)."""
    if actor.user_id is None:
        raise NotPermittedError("only a user can change a password", remedy="log in with --user NAME")
    check_password_rules(access, actor.username, new_password)
    _store_password(conn, access, actor.user_id, new_password, temporary=False)
    audit.record(conn, audit.UserChanged(principal=actor, target=actor.username, target_id=actor.user_id,
                                         change="password_changed"))


def _store_password(conn: Connection, access: AccessSettings, user_id: int, password: str, *, temporary: bool) -> None:
    now = utcnow()
    conn.execute(
        users.update().where(users.c.id == user_id).values(
            password_hash=hash_password(access.login, password), must_change_password=int(temporary),
            failed_logins=0, locked_until=None, password_changed_at=now, updated_at=now,
        )
    )


def revoke_tokens(conn: Connection, user_id: int) -> int:
    return conn.execute(
        user_tokens.update()
        .where(user_tokens.c.user_id == user_id, user_tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
