"""Every route of the app, read from its own routing table when the test runs,
declares what it needs; each refuses an anonymous request, and each that needs
a permission refuses a user whose role lacks it.

A route added later without `require(...)`, `LOGGED_IN` or `PUBLIC` fails the
first test; a route whose check does not actually stop a request fails the
others. The refusal must come from the permission check itself (its message),
not from CSRF or a missing form field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from chartdesk import access
from chartdesk.config import Permission
from chartdesk.web import Requirement
from tests.web.conftest import anonymous, csrf_of
from tests.web.data import ROLES, Site

NOT_PERMITTED = "your role does not allow this page"


def requirement_of(route: APIRoute) -> Requirement | None:
    """The Requirement among the route's dependencies (searched recursively)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Requirement):
            return dep.call
        stack.extend(dep.dependencies)
    return None


def routes(app: FastAPI) -> Iterator[tuple[APIRoute, str]]:
    """Every (route, method) the app answers, included routers flattened."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        assert isinstance(route, APIRoute), f"{route!r} is not an APIRoute: it cannot declare a permission"
        assert context.path == route.path, "routers are included without a prefix"
        for method in sorted(route.methods - {"HEAD"}):
            yield route, method


def concrete(path: str) -> str:
    """A URL for a route path: each parameter filled with 1 (a document or page number)."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_routing_table_is_not_empty(web_app: FastAPI) -> None:
    paths = {route.path for route, _ in routes(web_app)}
    assert {"/login", "/logout", "/openapi.json", "/static/{name}"} <= paths


def test_every_route_declares_what_it_needs(web_app: FastAPI) -> None:
    undeclared = [f"{method} {route.path}" for route, method in routes(web_app) if requirement_of(route) is None]
    assert not undeclared, f"routes without a declared permission: {undeclared}"


def test_every_non_public_route_refuses_an_anonymous_request(web_app: FastAPI) -> None:
    client = anonymous(web_app)
    checked = 0
    for route, method in routes(web_app):
        needs = requirement_of(route)
        assert needs is not None
        if needs.public:
            continue
        response = client.request(method, concrete(route.path), follow_redirects=False)
        if method == "GET":
            assert response.status_code == 303, (method, route.path, response.status_code)
            assert response.headers["location"].startswith("/login?next="), (route.path, response.headers)
        else:
            assert response.status_code == 401, (method, route.path, response.status_code)
        assert "Set-Cookie" not in response.headers or "cd_session" not in response.headers["Set-Cookie"]
        checked += 1
    assert checked >= 3


def _role_without(site: Site, permission: Permission) -> str | None:
    for role in ROLES:
        if not access.may(site.principal(role), permission):
            return role
    return None


@pytest.fixture(scope="module")
def logged_in(web_app: FastAPI, site: Site) -> Iterator[dict[str, TestClient]]:
    from tests.web.conftest import login

    clients = {role: login(anonymous(web_app), site.users[role].username, site.users[role].password) for role in ROLES}
    yield clients
    for client in clients.values():
        client.close()


def test_every_permission_route_refuses_a_role_without_it(web_app: FastAPI, site: Site,
                                                          logged_in: dict[str, TestClient]) -> None:
    checked = []
    for route, method in routes(web_app):
        needs = requirement_of(route)
        assert needs is not None
        if needs.permission is None:
            continue
        role = _role_without(site, needs.permission)
        assert role is not None, f"every role has {needs.permission}: the test cannot prove {route.path} checks it"
        client = logged_in[role]
        token = csrf_of(client.get("/password").text)
        response = client.request(method, concrete(route.path), headers={"Accept": "application/json",
                                                                           "X-CSRF-Token": token},
                                  follow_redirects=False)
        assert response.status_code == 403, (method, route.path, role, response.status_code, response.text[:300])
        assert NOT_PERMITTED in response.json()["error"], (method, route.path, response.json())
        checked.append(f"{method} {route.path}")
    assert checked, "no route declares a permission"
