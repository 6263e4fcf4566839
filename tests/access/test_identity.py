"""Identity: accounts, argon2id hashes, logins (audited), lock-out, tokens,
the first administrator."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import access, audit
from chartdesk.access.passwords import hash_password
from chartdesk.app import App, open_app
from chartdesk.config import LoginSettings
from chartdesk.db import audit_events, user_tokens, users
from chartdesk.errors import ConflictError, UsageError
from tests.access.conftest import PASSWORD, access_settings


def _events(app: App) -> list[tuple[str, str, str, dict[str, object]]]:
    with app.db.read() as conn:
        rows = conn.execute(select(audit_events).order_by(audit_events.c.seq)).all()
    return [(r.action, r.actor, r.outcome, json.loads(r.detail)) for r in rows]


def _verify(app: App) -> audit.VerifyReport:
    key = audit.load_key(audit.key_path(app.settings))
    with app.db.read() as conn:
        return audit.verify(conn, key, audit.checkpoint_path(app.settings))


def test_default_hash_is_argon2id_with_the_stated_parameters() -> None:
    stored = hash_password(LoginSettings(), "a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")


def test_first_admin_gets_a_random_password_in_a_private_file(tmp_path: Path) -> None:
    passwords = []
    for name in ("one", "two"):
        settings = access_settings(tmp_path / name)
        app = open_app(settings, create=True)
        path = access.ensure_first_admin(app)
        assert path == settings.data_dir / access.PASSWORD_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        passwords.append(path.read_text().split("password: ")[1].split()[0])
        assert access.ensure_first_admin(app) is None  # users exist: nothing more
        result = access.authenticate(app.db, settings.access, "admin", passwords[-1], client="test")
        assert result.principal.role == "admin" and result.must_change_password
        assert stat.S_IMODE(audit.key_path(settings).stat().st_mode) == 0o600
        assert _verify(app).ok
        app.close()
    assert passwords[0] != passwords[1] and len(passwords[0]) >= 20


def test_login_success_and_failures_are_audited_alike(app: App, add_user: Callable[..., access.Principal]) -> None:
    add_user("carol", "clinician")
    ok = access.authenticate(app.db, app.settings.access, "carol", PASSWORD, client="cli:search")
    assert ok.principal.username == "carol" and ok.principal.rights.has("view")
    with pytest.raises(access.AuthenticationError) as wrong:
        access.authenticate(app.db, app.settings.access, "carol", "not the password", client="cli:search")
    with pytest.raises(access.AuthenticationError) as unknown:
        access.authenticate(app.db, app.settings.access, "nobody", "not the password", client="cli:search")
    assert str(wrong.value) == str(unknown.value)  # no hint whether the user exists
    actions = [(a, actor, outcome, d.get("reason")) for a, actor, outcome, d in _events(app)]
    assert actions[-3:] == [
        ("login", "carol", "ok", None),
        ("login_failed", "carol", "failed", "wrong_password"),
        ("login_failed", "nobody", "failed", "unknown_user"),
    ]
    assert _verify(app).ok


def test_lockout_after_too_many_wrong_passwords(app: App, add_user: Callable[..., access.Principal]) -> None:
    add_user("dave", "billing")
    for _ in range(app.settings.access.login.max_failed):
        with pytest.raises(access.AuthenticationError):
            access.authenticate(app.db, app.settings.access, "dave", "wrong password!", client="t")
    with pytest.raises(access.AuthenticationError, match="locked"):
        access.authenticate(app.db, app.settings.access, "dave", PASSWORD, client="t")
    admin = add_user("root", "admin")
    with app.db.write() as conn:
        access.reset_password(conn, admin, app.settings.access, "dave", "a brand new password")
    result = access.authenticate(app.db, app.settings.access, "dave", "a brand new password", client="t")
    assert result.must_change_password
    reasons = [d.get("reason") for a, _, _, d in _events(app) if a == "login_failed"]
    assert reasons[-2:] == ["wrong_password_locked", "locked"]


def test_disabled_account_is_refused_after_a_correct_password(app: App, add_user: Callable[..., access.Principal]) -> None:
    admin = add_user("root", "admin")
    add_user("erin", "front_desk")
    with app.db.write() as conn:
        access.set_disabled(conn, admin, "erin", disabled=True)
    with pytest.raises(access.AuthenticationError, match="wrong"):
        access.authenticate(app.db, app.settings.access, "erin", "wrong password!", client="t")
    with pytest.raises(access.AuthenticationError, match="disabled"):
        access.authenticate(app.db, app.settings.access, "erin", PASSWORD, client="t")
    with app.db.read() as conn:
        assert access.load_principal(conn, app.settings.access, access.get_user(conn, "erin").id, client="t") is None


def test_stronger_parameters_rehash_at_next_login(tmp_path: Path) -> None:
    weak = access_settings(tmp_path)
    app = open_app(weak, create=True)
    with app.db.write() as conn:
        access.add_user(conn, access.SYSTEM, weak.access, username="fay", role="records", password=PASSWORD)
    stronger = access_settings(tmp_path, access={"login": {"argon2_time_cost": 2, "argon2_memory_kib": 8192}})
    access.authenticate(app.db, stronger.access, "fay", PASSWORD, client="t")
    with app.db.read() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.username == "fay")).scalar_one()
    assert ",t=2," in stored
    app.close()


def test_account_rules(app: App, add_user: Callable[..., access.Principal]) -> None:
    admin = add_user("root", "admin")
    clinician = add_user("gus", "clinician")
    s = app.settings.access
    with app.db.write() as conn:
        with pytest.raises(UsageError, match="shorter"):
            access.add_user(conn, admin, s, username="hal", role="billing", password="short")
        with pytest.raises(UsageError, match="no role"):
            access.add_user(conn, admin, s, username="hal", role="wizard", password=PASSWORD)
        with pytest.raises(UsageError, match="not a valid user name"):
            access.add_user(conn, admin, s, username="Hal Smith", role="billing", password=PASSWORD)
        with pytest.raises(ConflictError):
            access.add_user(conn, admin, s, username="gus", role="billing", password=PASSWORD)
        with pytest.raises(access.NotPermittedError):
            access.add_user(conn, clinician, s, username="hal", role="billing", password=PASSWORD)
        with pytest.raises(UsageError, match="own account"):
            access.set_disabled(conn, admin, "root", disabled=True)
        access.set_role(conn, admin, s, "gus", "records")
    assert _events(app)[-1][0] == "role_changed" and _events(app)[-1][3]["new_role"] == "records"


def test_token_login_file_mode_and_revocation(app: App, add_user: Callable[..., access.Principal],
                                              tmp_path: Path) -> None:
    ivy = add_user("ivy", "records")
    env = {"CHARTDESK_TOKEN_DIR": str(tmp_path / "tokens")}
    path = access.token_path(app.settings, env)
    with app.db.write() as conn:
        access.issue_token(conn, ivy, app.settings.access, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with app.db.read() as conn:
        assert "secret" not in path.read_text() and conn.execute(select(user_tokens.c.token_hash)).scalar()
    who = access.cli_login(app.db, app.settings, username=None, client="cli:status", environ=env)
    assert who.username == "ivy"
    os.chmod(path, 0o644)
    with pytest.raises(access.LoginRequiredError, match="other accounts"):
        access.cli_login(app.db, app.settings, username=None, client="cli:status", environ=env)
    os.chmod(path, 0o600)
    admin = add_user("root", "admin")
    with app.db.write() as conn:
        access.set_disabled(conn, admin, "ivy", disabled=True)
    with pytest.raises(access.AuthenticationError, match="not valid"):
        access.cli_login(app.db, app.settings, username=None, client="cli:status", environ=env)


def test_expired_token_is_refused(app: App, add_user: Callable[..., access.Principal], tmp_path: Path) -> None:
    jo = add_user("jo", "billing")
    env = {"CHARTDESK_TOKEN_DIR": str(tmp_path / "tokens")}
    path = access.token_path(app.settings, env)
    with app.db.write() as conn:
        access.issue_token(conn, jo, app.settings.access, path)
        conn.execute(user_tokens.update().values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    with pytest.raises(access.AuthenticationError, match="expired"):
        access.cli_login(app.db, app.settings, username=None, client="cli:status", environ=env)


def test_no_user_and_temporary_password_are_refused_with_how_to_log_in(
    app: App, add_user: Callable[..., access.Principal], tmp_path: Path
) -> None:
    env = {"CHARTDESK_TOKEN_DIR": str(tmp_path / "none")}
    with pytest.raises(access.LoginRequiredError, match="--user NAME"):
        access.cli_login(app.db, app.settings, username=None, client="cli:search", environ=env)
    with pytest.raises(access.LoginRequiredError, match="no terminal"):
        access.cli_login(app.db, app.settings, username="kim", client="cli:search", environ=env)
    add_user("kim", "clinician", temporary=True)
    env["CHARTDESK_PASSWORD"] = PASSWORD
    with pytest.raises(access.LoginRequiredError, match="users passwd"):
        access.cli_login(app.db, app.settings, username="kim", client="cli:search", environ=env)
    kim = access.cli_login(app.db, app.settings, username="kim", client="cli:users passwd", environ=env,
                           allow_temporary=True)
    with app.db.write() as conn:
        access.change_own_password(conn, kim, app.settings.access, "a secret only she knows")
    env["CHARTDESK_PASSWORD"] = "a secret only she knows"
    assert access.cli_login(app.db, app.settings, username="kim", client="cli:search", environ=env).role == "clinician"
    prompted = access.cli_login(app.db, app.settings, username="kim", client="cli:search",
                                environ={"CHARTDESK_TOKEN_DIR": env["CHARTDESK_TOKEN_DIR"]},
                                prompt=lambda _label: "a secret only she knows")
    assert prompted.username == "kim"
