"""The retention pages in a real browser (Debian's chromium through Playwright)
as the compliance officer: upcoming dispositions with a held document, placing
and releasing a legal hold, past runs with their certificates; who may open
them, CSRF on the hold forms, and the audit events they write.

The installation is the retention tests' one (tests/retention/conftest.py: real
pipeline, old records), on which one disposition run has been applied while a
hold kept patient B's note; screenshots go to tests/artifacts/web/.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Page, expect

from chartdesk import retention
from chartdesk.app import open_app
from chartdesk.web import WebServer, create_app
from tests.conftest import PASSWORD
from tests.retention.conftest import Site, _load_names, site_settings, template  # noqa: F401 (fixture)
from tests.retention.helpers import actions
from tests.web.browser import chromium, shoot
from tests.web.conftest import anonymous, artifacts_dir, csrf_of, login

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def rsite(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # noqa: F811
    root = tmp_path_factory.mktemp("retention-web") / "site"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("drop"))
    settings = site_settings(root)
    settings = settings.model_copy(update={"access": settings.access.model_copy(update={
        "login": settings.access.login.model_copy(update={"max_failed": 50})})})
    app = open_app(settings)
    site = Site(root, settings, app)
    _load_names(site)
    retention.place_hold(app, site.principal("carl"), matter="Roe custody case", reason="subpoena for the child's chart",
                         patient_id=site.patients["B"])
    plan = retention.plan_for(app, site.principal("carl"), today=TODAY)
    retention.approve_plan(app, site.principal("carl"), plan.short, note="checked", today=TODAY)
    retention.apply(app, site.principal("cora"), execute=True, today=TODAY)
    yield dataclasses.replace(site)
    app.close()


@pytest.fixture(scope="module")
def rlive(rsite: Site) -> Iterator[WebServer]:
    server = WebServer(rsite.settings, app=rsite.app, host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rtab(rlive: WebServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    with chromium(tmp_path_factory.mktemp("retention-chromium")) as context:
        yield _tab(context, rlive)


def _tab(context: BrowserContext, live: WebServer) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text
            else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = live.url  # type: ignore[attr-defined]
    page.errors = errors  # type: ignore[attr-defined]
    return page


def go(page: Page, path: str) -> None:
    page.goto(page.base + path)  # type: ignore[attr-defined]


def test_the_compliance_officer_works_the_retention_pages(rtab: Page, rsite: Site) -> None:
    shots = artifacts_dir()
    go(rtab, "/login")
    rtab.get_by_label("User name").fill("cora")
    rtab.get_by_label("Password").fill(PASSWORD)
    rtab.keyboard.press("Enter")
    expect(rtab.locator(".who .user")).to_contain_text("cora")

    go(rtab, "/retention")
    expect(rtab.locator("h1")).to_have_text("Upcoming dispositions")
    held = rtab.locator("tr.held")
    expect(held).to_have_count(1)
    expect(held).to_contain_text(str(rsite.docs["minor"]))
    expect(held).to_contain_text("held (hold 1)")
    expect(rtab.locator("tr", has_text="consent form")).to_contain_text("review")
    shoot(rtab, shots, "40-retention-upcoming")

    rtab.get_by_role("link", name="Legal holds").click()
    expect(rtab).to_have_url(re.compile(r"/retention/holds$"))
    rtab.locator("#hold-scope").select_option("documents")
    rtab.locator("#hold-target").fill(str(rsite.docs["consent"]))
    rtab.locator("#hold-matter").fill("Consent dispute 2026-7")
    rtab.locator("#hold-reason").fill("patient's attorney letter")
    rtab.get_by_role("button", name="Place hold").click()
    expect(rtab.get_by_role("status")).to_have_text("Legal hold 2 placed.")
    expect(rtab.locator("li.hold", has_text="Hold 2")).to_contain_text("Consent dispute 2026-7")
    shoot(rtab, shots, "41-retention-holds")
    hold2 = rtab.locator("li.hold", has_text="Hold 2")
    hold2.locator("input[name=reason]").fill("dispute settled")
    hold2.get_by_role("button", name="Release hold 2").click()
    expect(rtab.get_by_role("status")).to_have_text("Legal hold 2 released.")
    expect(rtab.locator("li.hold", has_text="Hold 2")).to_have_count(0)
    rtab.get_by_role("link", name="Show released holds too").click()
    expect(rtab.locator("li.hold.released", has_text="Hold 2")).to_contain_text("dispute settled")

    rtab.get_by_role("link", name="Past runs and certificates").click()
    row = rtab.locator("tr", has_text="cora")
    expect(row).to_contain_text("carl")
    shoot(rtab, shots, "42-retention-runs")
    with rtab.expect_download() as waiting:
        row.get_by_role("link", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(waiting.value.path()).read_text())))
    destroyed = {int(r["document_id"]) for r in rows}
    assert rsite.docs["marked"] in destroyed and rsite.docs["minor"] not in destroyed
    pdf = rtab.request.get(rtab.base + "/retention/runs/1/certificate.pdf")  # type: ignore[attr-defined]
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert not rtab.errors, rtab.errors  # type: ignore[attr-defined]

    by_cora = {e[1] for e in actions(rsite.app) if e[0] == "cora"}
    assert {"upcoming_viewed", "holds_viewed", "hold_placed", "hold_released", "certificate_downloaded"} <= by_cora


@pytest.fixture(scope="module")
def rweb(rsite: Site) -> object:
    return create_app(rsite.settings, app=rsite.app)


def _client(web: object, username: str) -> TestClient:
    return login(anonymous(web), username, PASSWORD)  # type: ignore[arg-type]


def test_who_may_open_the_retention_pages(rweb: object, rsite: Site) -> None:
    bill, rita, cora = (_client(rweb, u) for u in ("bill", "rita", "cora"))
    try:
        assert bill.get("/retention").status_code == 403
        assert bill.get("/retention/runs/1/certificate.csv").status_code == 403
        assert rita.get("/retention").status_code == 200  # records: the schedule, not the holds
        assert rita.get("/retention/holds").status_code == 403
        assert cora.get("/retention/runs/99/certificate.pdf").status_code == 404
        plan = retention.compute_plan(rsite.app.db, rsite.settings, today=TODAY)
        assert plan.fingerprint in cora.get("/retention").text  # the page shows the plan an approval names
        page = cora.get("/retention/holds")
        before = len(retention.list_holds(rsite.app, rsite.principal("cora"), active_only=False))
        forged = cora.post("/retention/holds", data={"scope": "patient", "target": str(rsite.patients["A"]),
                                                     "matter": "forged matter", "reason": "forged reason"})
        assert forged.status_code == 403
        bad = cora.post("/retention/holds", data={"scope": "patient", "target": "not a number", "matter": "claim 5",
                                                  "reason": "notice of claim", "csrf_token": csrf_of(page.text)})
        assert bad.status_code == 400 and "patient number" in bad.text
        assert len(retention.list_holds(rsite.app, rsite.principal("cora"), active_only=False)) == before
    finally:
        for client in (bill, rita, cora):
            client.close()
