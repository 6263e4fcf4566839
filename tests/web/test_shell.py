"""The shell every page shares: security headers, the error pages, static files
(and only them), the OpenAPI document, and no script inline in any template."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

from fastapi import FastAPI
from fastapi.testclient import TestClient

from chartdesk.web.headers import CSP
from tests.web.conftest import anonymous


def test_every_response_carries_the_security_headers(web_app: FastAPI,
                                                     client_for: Callable[[str], TestClient]) -> None:
    client = client_for("records")
    for path in ("/login", "/password", "/static/app.css", "/no/such/page"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP and "frame-ancestors 'none'" in CSP
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # plain http: see test_tls
    assert client.get("/password").headers["cache-control"] == "no-store"


def test_templates_have_no_inline_script_or_handler() -> None:
    folder = resources.files("chartdesk.web").joinpath("templates")
    for entry in folder.iterdir():
        text = entry.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), entry.name
        assert not re.search(r"\son[a-z]+\s*=", text), entry.name
        assert "javascript:" not in text, entry.name
        assert "style=" not in text, entry.name  # style-src 'self' forbids inline styles too
        assert not re.search(r"(src|href)=\"(https?:)?//", text), entry.name  # nothing from elsewhere


def test_unknown_pages_get_the_error_page_with_what_to_do(web_app: FastAPI) -> None:
    client = anonymous(web_app)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text and "What to do:" in response.text
    as_json = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert as_json.status_code == 404 and set(as_json.json()) == {"error", "remedy"}


def test_only_the_packaged_static_files_are_served(web_app: FastAPI) -> None:
    client = anonymous(web_app)
    css = client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/app.js").headers["content-type"].split(";")[0] in ("text/javascript",
                                                                                    "application/javascript")
    again = client.get("/static/app.css", headers={"If-None-Match": css.headers["etag"]})
    assert again.status_code == 304
    for probe in ("/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fconfig.py", "/static/../web/app.py",
                  "/static/templates%2fbase.html", "/static/.%2f..%2f__init__.py"):
        assert client.get(probe).status_code == 404, probe


def test_the_openapi_document_is_published_to_logged_in_users(web_app: FastAPI,
                                                              client_for: Callable[[str], TestClient]) -> None:
    assert anonymous(web_app).get("/openapi.json", follow_redirects=False).status_code == 303
    document = client_for("clinician").get("/openapi.json").json()
    assert document["info"]["title"] == "chartdesk"
    assert "/search" in document["paths"] and "/documents/{doc_id}" in document["paths"]
