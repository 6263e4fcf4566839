"""A real browser (Debian's chromium through Playwright) drives the UI as staff
do, mostly by keyboard: log in, search, open a document, resolve a review item,
run an audit query as the compliance officer. Screenshots of the main pages are
saved in tests/artifacts/web/.

The tests run in file order and share one browser profile (one user at a time,
logging out in between), like one front-desk computer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from chartdesk.db import audit_events, documents
from chartdesk.web import WebServer
from tests.web.browser import chromium, shoot
from tests.web.conftest import artifacts_dir
from tests.web.data import Site


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture(scope="module")
def tab(browser: BrowserContext, live: WebServer) -> Iterator[Page]:
    page = browser.new_page()
    errors: list[str] = []
    # Script errors and content-security-policy violations; a 401 or 403 the test
    # asked for ("Failed to load resource") is an answer, not an error.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text
            else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = live.url  # type: ignore[attr-defined]
    yield page
    assert not errors, f"the browser reported errors: {errors}"


@pytest.fixture(scope="module")
def shots() -> Path:
    return artifacts_dir()


def go(page: Page, path: str) -> None:
    page.goto(page.base + path)  # type: ignore[attr-defined]


def log_in(page: Page, site: Site, role: str) -> None:
    user = site.users[role]
    go(page, "/login")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.keyboard.press("Enter")
    expect(page.locator(".who .user")).to_contain_text(user.username)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_log_in(tab: Page, site: Site, shots: Path) -> None:
    go(tab, "/search")
    expect(tab).to_have_url(re.compile(r"/login\?next=%2Fsearch$"))
    expect(tab.get_by_label("User name")).to_be_focused()
    shoot(tab, shots, "01-login")
    go(tab, "/login")
    tab.get_by_label("User name").fill(site.users["records"].username)
    tab.get_by_label("Password").fill("not the password")
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("alert")).to_contain_text("user name or password is wrong")
    shoot(tab, shots, "02-login-wrong-password")
    log_in(tab, site, "records")
    expect(tab).to_have_url(re.compile(r"/search$"))  # the records role starts at search


def test_search_by_keyboard(tab: Page, site: Site, shots: Path) -> None:
    tab.keyboard.press("Escape")  # leave the box that has the focus
    tab.keyboard.press("/")
    expect(tab.locator("main input[name=q]")).to_be_focused()
    tab.keyboard.type("zebrafish")
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("status")).to_contain_text("1 document found")
    snippet = tab.locator(".snippet").first
    expect(snippet.locator("mark")).to_have_text("zebrafish")
    expect(snippet).to_contain_text("<script>window.pwned=1</script>")  # shown as text
    assert tab.evaluate("window.pwned") is None
    assert tab.locator(".snippet img, .snippet script, .snippet b").count() == 0
    shoot(tab, shots, "03-search-results")


def test_open_a_document_with_j_and_enter(tab: Page, site: Site, shots: Path) -> None:
    go(tab, "/search?q=seeing")
    expect(tab.locator("[data-item]").first).to_be_visible()
    tab.keyboard.press("j")
    expect(tab.locator("[data-item]").first).to_have_attribute("aria-selected", "true")
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"/documents/\d+"))
    go(tab, f"/documents/{site.docs['scan']}?q=seeing")
    image = tab.locator(".page-view img")
    expect(image).to_be_visible()
    assert tab.evaluate("(img) => img.naturalWidth > 100", image.element_handle())
    expect(tab.locator(".page-text mark").first).to_be_visible()
    shoot(tab, shots, "04-document-scan")
    go(tab, f"/patients/{site.patients['A']}")
    expect(tab.locator("h1")).to_contain_text("MRN")
    shoot(tab, shots, "05-chart")
    go(tab, f"/documents/{site.docs['dictation']}")
    expect(tab.locator(".transcript .badge.draft")).to_have_text("unverified draft")
    shoot(tab, shots, "06-dictation")


def test_resolve_a_review_item(tab: Page, site: Site, shots: Path) -> None:
    doc_id = site.docs["unfiled"]
    go(tab, "/review")
    shoot(tab, shots, "07-review-queue")
    row = tab.locator(f"[data-item]:has(a[href='/review/{doc_id}'])")
    expect(row).to_be_visible()
    for _ in range(tab.locator("[data-item]").count()):
        tab.keyboard.press("j")
        if row.get_attribute("aria-selected") == "true":
            break
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(rf"/review/{doc_id}$"))
    shoot(tab, shots, "08-review-item")
    tab.keyboard.press("m")  # the "another patient" box
    expect(tab.locator("#patient-other")).to_be_focused()
    tab.keyboard.type(_mrn(site, "A"))
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"/review(\?done=\d+|/\d+)$"))
    with site.app.db.read() as conn:
        row_after = conn.execute(select(documents.c.patient_id, documents.c.state).where(documents.c.id == doc_id)).one()
        decided = conn.execute(select(audit_events.c.action).where(
            audit_events.c.document_id == doc_id, audit_events.c.action == "review_decision")).all()
    assert row_after.patient_id == site.patients["A"]
    assert decided


def _mrn(site: Site, key: str) -> str:
    from chartdesk.db import patients

    with site.app.db.read() as conn:
        return str(conn.execute(select(patients.c.mrn).where(patients.c.id == site.patients[key])).scalar_one())


def test_pages_of_the_records_role(tab: Page, site: Site, shots: Path) -> None:
    go(tab, "/status")
    expect(tab.locator("h1")).to_have_text("Status")
    shoot(tab, shots, "09-status")
    go(tab, f"/patients/{site.patients['A']}/release")
    expect(tab.locator("h1")).to_contain_text("Release of information")
    shoot(tab, shots, "10-release")
    log_out(tab)


def test_confirm_a_dictation_as_a_clinician(tab: Page, site: Site, shots: Path) -> None:
    log_in(tab, site, "clinician")
    go(tab, f"/documents/{site.docs['dictation']}/transcript")
    shoot(tab, shots, "11-transcript")
    box = tab.get_by_label("The text as it should stand in the chart")
    box.fill(box.input_value() + " Reviewed by the clinician.")
    tab.get_by_role("button", name="Save my corrections and confirm").click()
    expect(tab).to_have_url(re.compile(rf"/documents/{site.docs['dictation']}$"))
    expect(tab.locator(".transcript .badge.verified")).to_contain_text("confirmed by")
    log_out(tab)


def test_audit_query_as_compliance(tab: Page, site: Site, shots: Path) -> None:
    log_in(tab, site, "compliance")
    expect(tab.locator("nav")).to_contain_text("Audit")
    go(tab, "/audit")
    tab.get_by_label("User", exact=True).fill(site.users["records"].username)
    tab.locator("select[name=action]").select_option("document_viewed")
    tab.get_by_role("button", name="Show").click()
    expect(tab.get_by_role("status")).to_contain_text("event")
    rows = tab.locator("table.audit tbody tr")
    assert rows.count() >= 2
    expect(rows.first).to_contain_text("document viewed")
    shoot(tab, shots, "12-audit-query")
    with tab.expect_download() as download:
        tab.get_by_role("link", name="Export CSV").click()
    csv_path = download.value.path()
    assert csv_path is not None
    text = Path(csv_path).read_text()
    assert text.startswith("seq,at,actor,role,action") and "document_viewed" in text
    go(tab, "/audit/grants")
    shoot(tab, shots, "13-break-glass-reviews")
    log_out(tab)


def test_admin_sees_users_and_no_patient_pages(tab: Page, site: Site, shots: Path) -> None:
    log_in(tab, site, "admin")
    expect(tab).to_have_url(re.compile(r"/status$"))  # upkeep first: the admin role has no patient pages
    expect(tab.locator("nav")).not_to_contain_text("Search")
    expect(tab.locator("main")).to_contain_text("(hidden: records staff can see it)")
    go(tab, "/users")
    shoot(tab, shots, "14-users")
    go(tab, f"/documents/{site.docs['lab']}")
    expect(tab.locator("h1")).to_have_text("Not allowed")
    log_out(tab)
