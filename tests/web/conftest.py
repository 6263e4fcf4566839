"""Fixtures for the web tests: one installation per session, built for real.

`site` is a data directory in a temp folder with one user per role (cheap
argon2 parameters so that dozens of logins stay quick; the default parameters
have a test in tests/access), and documents taken in and processed by the real
pipeline in process (tests/web/data.py). `client_for(role)` is a logged-in
httpx client through Starlette's TestClient (the real app, no server);
`live` is the same app served by uvicorn on a free port for the browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from chartdesk.config import Settings
from chartdesk.web import WebServer, create_app
from tests.web.data import ROLES, Site, build_site

BASE_URL = "http://127.0.0.1"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("web-site"))
    yield built
    built.app.close()


@pytest.fixture(scope="session")
def web_app(site: Site) -> FastAPI:
    return create_app(site.settings, app=site.app)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(client: TestClient, username: str, password: str, *, next_path: str = "/") -> TestClient:
    form = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text),
                                          "next": next_path}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client


def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE_URL)


@pytest.fixture
def client_for(web_app: FastAPI, site: Site) -> Iterator[Callable[[str], TestClient]]:
    """A new logged-in client for a role (front_desk, clinician, billing, records, compliance, admin)."""
    opened: list[TestClient] = []

    def make(role: str) -> TestClient:
        user = site.users[role]
        client = anonymous(web_app)
        opened.append(client)
        return login(client, user.username, user.password)

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def fresh_app(site: Site) -> Callable[..., FastAPI]:
    """Another web app on the same installation with changed [web] or [access.login] settings."""

    def make(*, web: dict[str, object] | None = None) -> FastAPI:
        settings: Settings = site.settings
        if web:
            settings = settings.model_copy(update={"web": settings.web.model_copy(update=web)})
        return create_app(settings, app=site.app)

    return make


@pytest.fixture(scope="session")
def live(site: Site) -> Iterator[WebServer]:
    """The app served by uvicorn (in a thread of the test process) on a free port."""
    server = WebServer(site.settings, app=site.app, host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


__all__ = ["BASE_URL", "ROLES", "anonymous", "csrf_of", "login"]


def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parents[1] / "artifacts" / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path
