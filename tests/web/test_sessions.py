"""Logging in and out: cookie flags, session fixation, CSRF on the login form
and on every state-changing route, lock-out, the per-address login budget,
idle and absolute timeouts, temporary passwords, and what the audit log gets."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from chartdesk.db import audit_events
from chartdesk.web.context import WebContext
from tests.web.conftest import anonymous, csrf_of, login
from tests.web.data import Site
from tests.web.test_route_permissions import concrete, requirement_of, routes


def _session_cookie(response_headers: str) -> str:
    found = re.search(r"cd_session=([^;]+)", response_headers)
    assert found, response_headers
    return found.group(1)


def _events(site: Site, action: str, actor: str) -> list[dict[str, object]]:
    with site.app.db.read() as conn:
        rows = conn.execute(select(audit_events).where(audit_events.c.action == action,
                                                       audit_events.c.actor == actor)).all()
    return [dict(r._mapping) for r in rows]


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(web_app: FastAPI, site: Site) -> None:
    user = site.users["records"]
    client = anonymous(web_app)
    form = client.get("/login")
    assert "cd_login=" in form.headers["set-cookie"] and "HttpOnly" in form.headers["set-cookie"]
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "csrf_token": csrf_of(form.text), "next": "/review"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on localhost: see test_tls for the Secure case
    token = csrf_of(client.get("/password").text)
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/password", follow_redirects=False).status_code == 303
    assert _events(site, "session_ended", user.username)


def test_a_planted_session_id_is_never_promoted(web_app: FastAPI, site: Site) -> None:
    """Given an attacker who knows a session id (their own, live) and plants it in the
    victim's browser, when the victim logs in, then the victim gets a new id and the
    planted one no longer works."""
    attacker = login(anonymous(web_app), site.users["billing"].username, site.users["billing"].password)
    planted = attacker.cookies.get("cd_session")
    assert planted
    victim = anonymous(web_app)
    victim_user = site.users["records"]
    form = victim.get("/login")
    victim.cookies.set("cd_session", planted)
    response = victim.post("/login", data={"username": victim_user.username, "password": victim_user.password,
                                           "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    fresh = _session_cookie(response.headers["set-cookie"])
    assert fresh != planted
    assert attacker.get("/password", follow_redirects=False).status_code == 303  # the planted id is dead
    victim.cookies.set("cd_session", fresh)
    assert victim_user.username in victim.get("/password").text


def test_a_made_up_session_id_is_refused(web_app: FastAPI) -> None:
    client = anonymous(web_app)
    client.cookies.set("cd_session", "made-up-by-an-attacker")
    response = client.get("/search", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_login_without_the_forms_token_is_refused(web_app: FastAPI, site: Site) -> None:
    user = site.users["records"]
    client = anonymous(web_app)
    client.get("/login")
    forged = client.post("/login", data={"username": user.username, "password": user.password,
                                         "csrf_token": "guessed"}, follow_redirects=False)
    assert forged.status_code == 403 and "did not come from a chartdesk page" in forged.text
    other_site = client.post("/login", headers={"Origin": "https://evil.example"},
                             data={"username": user.username, "password": user.password,
                                   "csrf_token": client.cookies.get("cd_login")}, follow_redirects=False)
    assert other_site.status_code == 403


def test_every_state_changing_route_needs_the_session_token(web_app: FastAPI, site: Site,
                                                            client_for: Callable[[str], TestClient]) -> None:
    """A logged-in user with every permission the route needs, sending no token, a
    wrong token, or a request from another site, changes nothing."""
    checked = 0
    for route, method in routes(web_app):
        if method in ("GET", "HEAD"):
            continue
        needs = requirement_of(route)
        assert needs is not None
        if needs.public:
            continue
        role = _role_with(site, needs)
        client = client_for(role)
        good = csrf_of(client.get("/password").text)
        for headers in ({}, {"X-CSRF-Token": "wrong"},
                        {"X-CSRF-Token": good, "Origin": "https://evil.example"},
                        {"X-CSRF-Token": good, "Sec-Fetch-Site": "cross-site"}):
            response = client.request(method, concrete(route.path), headers={"Accept": "application/json", **headers},
                                      follow_redirects=False)
            assert response.status_code == 403, (method, route.path, headers, response.status_code)
            assert "did not come from a chartdesk page" in response.json()["error"]
        checked += 1
    assert checked >= 1


def _role_with(site: Site, needs: object) -> str:
    from chartdesk import access

    permission = getattr(needs, "permission", None)
    for role in ("records", "compliance", "admin", "clinician"):
        if permission is None or access.may(site.principal(role), permission):
            return role
    raise AssertionError(f"no role has {permission}")


def test_repeated_wrong_passwords_lock_the_account(web_app: FastAPI, site: Site) -> None:
    user = site.users["locky"]
    client = anonymous(web_app)
    limit = site.settings.access.login.max_failed
    for _ in range(limit):
        form = client.get("/login")
        wrong = client.post("/login", data={"username": user.username, "password": "not the password",
                                            "csrf_token": csrf_of(form.text)}, follow_redirects=False)
        assert wrong.status_code == 401 and "user name or password is wrong" in wrong.text
        assert "cd_session" not in wrong.headers.get("set-cookie", "")
    form = client.get("/login")
    right = client.post("/login", data={"username": user.username, "password": user.password,
                                        "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert right.status_code == 401 and "locked" in right.text
    assert "cd_session" not in right.headers.get("set-cookie", "")
    failures = _events(site, "login_failed", user.username)
    assert len(failures) == limit + 1


def test_one_computer_cannot_try_many_accounts(fresh_app: Callable[..., FastAPI], site: Site) -> None:
    app = fresh_app(web={"login_attempts_per_minute": 3})
    client = anonymous(app)
    statuses = []
    for i in range(5):
        form = client.get("/login")
        statuses.append(client.post("/login", data={"username": f"nobody{i}", "password": "x" * 12,
                                                    "csrf_token": csrf_of(form.text)}).status_code)
    assert statuses == [401, 401, 401, 429, 429]
    user = site.users["throttled"]
    form = client.get("/login")
    blocked = client.post("/login", data={"username": user.username, "password": user.password,
                                          "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert blocked.status_code == 429 and "Too many login attempts" in blocked.text


class FakeClock:
    """The session store's clock seam: hours of idleness cannot be waited for in a test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_end_after_the_idle_and_the_absolute_timeout(fresh_app: Callable[..., FastAPI], site: Site) -> None:
    app = fresh_app()
    ctx: WebContext = app.state.chartdesk
    clock = FakeClock()
    ctx.sessions.clock = clock
    login_settings = site.settings.access.login
    user = site.users["compliance"]
    client = login(anonymous(app), user.username, user.password)
    clock.now += login_settings.session_idle_minutes * 60 - 5
    assert client.get("/password").status_code == 200  # just inside: and the idle clock restarts
    clock.now += login_settings.session_idle_minutes * 60 - 5
    assert client.get("/password").status_code == 200
    clock.now += login_settings.session_idle_minutes * 60 + 1
    idle = client.get("/audit", follow_redirects=False)
    assert idle.status_code == 303 and idle.headers["location"] == "/login?next=%2Faudit"
    ended = [e["detail"] for e in _events(site, "session_ended", user.username)]
    assert any('"idle"' in d for d in ended)

    client = login(anonymous(app), user.username, user.password)
    for _ in range(login_settings.session_max_hours * 60 // max(1, login_settings.session_idle_minutes - 1) + 1):
        clock.now += (login_settings.session_idle_minutes - 1) * 60  # busy all day, never idle
        if client.get("/password", follow_redirects=False).status_code != 200:
            break
    else:
        raise AssertionError("the session outlived its maximum age")
    assert any('"max_age"' in e["detail"] for e in _events(site, "session_ended", user.username))


def test_a_temporary_password_must_be_changed_first(web_app: FastAPI, site: Site) -> None:
    user = site.users["newbie"]
    client = anonymous(web_app)
    form = client.get("/login")
    response = client.post("/login", data={"username": user.username, "password": user.password,
                                           "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert response.headers["location"] == "/password"
    assert client.get("/search", follow_redirects=False).headers["location"] == "/password"
    token = csrf_of(client.get("/password").text)
    mismatch = client.post("/password", data={"csrf_token": token, "new_password": "a new long secret 1",
                                              "repeat": "a new long secret 2"})
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    old_cookie = client.cookies.get("cd_session")
    done = client.post("/password", data={"csrf_token": token, "new_password": "a new long secret 1",
                                          "repeat": "a new long secret 1"}, follow_redirects=False)
    assert done.status_code == 303
    assert client.cookies.get("cd_session") != old_cookie  # a new password, a new session
    assert client.get("/search", follow_redirects=False).status_code == 200


def test_next_never_leaves_the_site(web_app: FastAPI, site: Site) -> None:
    user = site.users["records"]
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = anonymous(web_app)
        form = client.get("/login")
        response = client.post("/login", data={"username": user.username, "password": user.password,
                                               "csrf_token": csrf_of(form.text), "next": target},
                               follow_redirects=False)
        assert response.headers["location"] == "/", target

