"""users: accounts and logins (add, list, disable, enable, set-role,
reset-password, passwd, token). Everything but `passwd` and `token` needs the
manage_users permission; every change is audited."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console
from rich.table import Table

from chartdesk import access
from chartdesk.access import User
from chartdesk.commands.base import Env, pass_env
from chartdesk.db import utcnow
from chartdesk.errors import UsageError

NEW_PASSWORD_ENV = "CHARTDESK_NEW_PASSWORD"


@click.group()
def users() -> None:
    """User accounts and logins."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, help="one of the roles in [access.roles]")
@click.option("--name", "display_name", default="", help="the person's name, for lists")
@pass_env
def add(env: Env, username: str, role: str, display_name: str) -> None:
    """Add a user with a temporary password (printed once; they must change it)."""
    actor = env.principal()
    password = access.generate_password()
    with env.app().db.write() as conn:
        access.add_user(conn, actor, env.settings.access, username=username, role=role,
                        password=password, display_name=display_name, temporary=True)
    click.echo(f"added {username} ({role}); temporary password: {password}")
    click.echo(f"they choose their own with `chartdesk --user {username} users passwd`")


@users.command("list")
@pass_env
def list_(env: Env) -> None:
    """List the accounts, their roles and state."""
    access.require_manager(env.principal())
    with env.app().db.read() as conn:
        rows = access.list_users(conn)
    table = Table("user", "name", "role", "state", "last login")
    for user in rows:
        table.add_row(user.username, user.display_name, user.role, _state(user),
                      user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never")
    Console(width=120).print(table)


def _state(user: User) -> str:
    if user.disabled:
        return "disabled"
    if user.locked_until and user.locked_until > utcnow():
        return "locked"
    return "must change password" if user.must_change_password else "active"


@users.command("disable")
@click.argument("username")
@pass_env
def disable(env: Env, username: str) -> None:
    """Disable an account (its tokens stop working at once)."""
    actor = env.principal()
    with env.app().db.write() as conn:
        access.set_disabled(conn, actor, username, disabled=True)
    click.echo(f"{username} is disabled")


@users.command("enable")
@click.argument("username")
@pass_env
def enable(env: Env, username: str) -> None:
    """Enable a disabled account again."""
    actor = env.principal()
    with env.app().db.write() as conn:
        access.set_disabled(conn, actor, username, disabled=False)
    click.echo(f"{username} is enabled")


@users.command("set-role")
@click.argument("username")
@click.argument("role")
@pass_env
def set_role(env: Env, username: str, role: str) -> None:
    """Change a user's role (takes effect at their next command or page)."""
    actor = env.principal()
    with env.app().db.write() as conn:
        access.set_role(conn, actor, env.settings.access, username, role)
    click.echo(f"{username} now has the role {role}")


@users.command("reset-password")
@click.argument("username")
@pass_env
def reset_password(env: Env, username: str) -> None:
    """Give a user a new temporary password (printed once) and unlock the account."""
    actor = env.principal()
    password = access.generate_password()
    with env.app().db.write() as conn:
        access.reset_password(conn, actor, env.settings.access, username, password)
    click.echo(f"temporary password for {username}: {password}")


@users.command("passwd")
@pass_env
def passwd(env: Env) -> None:
    """Choose your own password (from a prompt, or $CHARTDESK_NEW_PASSWORD)."""
    actor = env.principal(allow_temporary=True)
    new = os.environ.get(NEW_PASSWORD_ENV) or _prompt_new_password()
    with env.app().db.write() as conn:
        access.change_own_password(conn, actor, env.settings.access, new)
    click.echo("your password has been changed")


def _prompt_new_password() -> str:
    if not sys.stdin.isatty():
        raise UsageError("no new password given", remedy=f"run on a terminal, or set {NEW_PASSWORD_ENV}")
    return str(click.prompt("new password", hide_input=True, confirmation_prompt=True, err=True))


@users.command("token")
@click.option("--revoke", is_flag=True, help="delete your token instead of creating one")
@pass_env
def token(env: Env, revoke: bool) -> None:  # noqa: FBT001 - click passes flags positionally
    """Create a login token for scripts in your home folder (0600), or revoke it.
    Creating one needs your password (a token cannot renew itself)."""
    actor = env.principal(allow_token=revoke)
    path = access.token_path(env.settings)
    with env.app().db.write() as conn:
        if revoke:
            access.revoke_own_tokens(conn, actor, path)
        else:
            expires = access.issue_token(conn, actor, env.settings.access, path)
    if revoke:
        click.echo("your tokens are revoked")
    else:
        click.echo(f"token written to {path}; valid until {expires:%Y-%m-%d}")


COMMANDS: list[click.Command] = [users]
