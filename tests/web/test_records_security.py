"""What the pages show and to whom: no restricted document in any count,
snippet or filter result; a hidden document answered exactly like a missing
one; stored markup shown as text; no file outside a document's own folder; an
audit event for every page that shows patient data; break-the-glass."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from chartdesk.db import audit_events, pages, set_meta, utcnow
from chartdesk.index import feed
from chartdesk.records import reading
from tests.web.conftest import csrf_of
from tests.web.data import SUD, Site
from tests.web.test_route_permissions import requirement_of, routes

Client = Callable[[str], TestClient]


def _count(html: str) -> int:
    found = re.search(r"<strong>(\d+)</strong> documents? found", html)
    assert found, "no result count on the page"
    return int(found.group(1))


def _ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-open href="/documents/(\d+)', html)}


def test_a_restricted_document_never_shows_in_counts_snippets_or_filters(site: Site, client_for: Client) -> None:
    """Given a note labelled substance_use_disorder (outside the clinician role's labels)
    and a lab result in a restricted chart, when a clinician searches in every way that
    would find them, then neither is counted, listed or quoted; the records role, which
    may see both, finds them with the same searches."""
    clinician, records = client_for("clinician"), client_for("records")
    hidden = {site.docs["sud"], site.docs["private"]}
    searches = ["/search?q=buprenorphine", "/search?q=opioid+use+disorder", "/search?q=*",
                f"/search?q=*&patient={site.patients['B']}", "/search?q=*&doc_class=progress_note",
                "/search?q=*&doc_class=lab_result", f"/search?q=id:{site.docs['sud']}",
                "/search?q=label:substance_use_disorder", "/search?q=chart:restricted", "/search?q=buprenorph*"]
    for url in searches:
        seen = clinician.get(url).text
        assert not (_ids(seen) & hidden), url
        quoted = " ".join(re.findall(r'<p class="snippet">(.*?)</p>', seen, re.S)).lower()
        assert "buprenorphine" not in quoted and "opioid use disorder" not in quoted, url
        with_all = records.get(url).text
        assert _count(seen) == len(_ids(seen)), url  # the count holds nothing that is not listed
        assert _ids(seen) <= _ids(with_all), url
        if _ids(with_all) & hidden:
            assert _count(seen) < _count(with_all), url
    assert _count(clinician.get("/search?q=buprenorphine").text) == 0
    assert _count(records.get("/search?q=buprenorphine").text) == 1
    front_desk = client_for("front_desk").get("/search?q=*").text
    assert _ids(front_desk) == {site.docs["card"]}  # the front desk's classes only


def test_a_hidden_document_is_answered_like_a_missing_one(site: Site, client_for: Client) -> None:
    clinician = client_for("clinician")
    missing_id = 987654
    for path in ("/documents/{}", "/documents/{}/pages/1/image", "/documents/{}/original"):
        hidden = clinician.get(path.format(site.docs["sud"]))
        missing = clinician.get(path.format(missing_id))
        assert hidden.status_code == missing.status_code == 404, path
        assert _same(hidden.text, str(site.docs["sud"])) == _same(missing.text, str(missing_id)), path
        assert "buprenorphine" not in hidden.text
    with site.app.db.read() as conn:
        outcomes = dict(conn.execute(
            select(audit_events.c.document_id, audit_events.c.outcome).where(
                audit_events.c.action == "document_viewed", audit_events.c.actor == site.users["clinician"].username,
                audit_events.c.document_id.in_([site.docs["sud"], missing_id]))).all())
    assert outcomes == {site.docs["sud"]: "denied", missing_id: "not_found"}


def _same(html: str, number: str) -> str:
    """The page without the number asked for and the session's own CSRF token."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html).replace(number, "N")


def test_stored_markup_is_shown_as_text(site: Site, client_for: Client) -> None:
    records = client_for("records")
    page = records.get(f"/documents/{site.docs['xss']}?q=zebrafish").text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "<script>window.pwned" not in page and "<img src=x" not in page and "<b>bold</b>" not in page
    assert "<mark>zebrafish</mark>" in page
    # markup typed into a search box comes back escaped too, and in the audit log page
    records.get("/search", params={"q": '"><script>alert(2)</script>'})
    audit_page = client_for("compliance").get("/audit", params={"action": "search",
                                                                "user": site.users["records"].username}).text
    assert "<script>alert(2)" not in audit_page and "&lt;script&gt;alert(2)" in audit_page


def test_no_file_outside_a_documents_own_folder(site: Site, client_for: Client) -> None:
    records = client_for("records")
    doc = site.docs["scan"]
    for probe in (f"/documents/{doc}/pages/..%2f..%2fchartdesk.db/image", f"/documents/{doc}/pages/1/..%2f..%2f..",
                  "/documents/..%2f..%2fchartdesk.db/original", f"/documents/{doc}%2f..%2f..%2f/original",
                  "/documents/-1/original", f"/documents/{doc}/pages/0/image", f"/documents/{doc}/pages/99/image"):
        response = records.get(probe)
        assert response.status_code in (400, 404), probe
        assert b"SQLite format" not in response.content


def test_a_page_row_naming_a_file_outside_is_refused(site: Site) -> None:
    """A page row whose image path leads out of the document's folder cannot be made
    through the pipeline; it is injected here (a damaged or tampered database) to show
    the reader refuses it like a missing page."""
    doc = site.docs["lab"]
    with site.app.db.write() as conn:
        original = conn.execute(select(pages.c.image).where(pages.c.document_id == doc, pages.c.page_no == 1)).scalar()
        conn.execute(pages.update().where(pages.c.document_id == doc, pages.c.page_no == 1)
                     .values(image="../../chartdesk.db"))
    try:
        with pytest.raises(reading.DocumentNotFoundError):
            reading.page_image(site.app, site.principal("records"), doc, 1)
    finally:
        with site.app.db.write() as conn:
            conn.execute(pages.update().where(pages.c.document_id == doc, pages.c.page_no == 1).values(image=original))


def _events(site: Site, action: str, actor: str) -> int:
    with site.app.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events).where(
            audit_events.c.action == action, audit_events.c.actor == actor)).scalar_one())


# Every page that shows patient data, who opens it, and the event it must write.
AUDITED_PAGES = {
    "/search": ("records", "/search?q=metformin", "search"),
    "/documents/{doc_id}": ("records", "/documents/{lab}", "document_viewed"),
    "/documents/{doc_id}/pages/{page_no}/image": ("records", "/documents/{scan}/pages/1/image", "page_viewed"),
    "/documents/{doc_id}/original": ("records", "/documents/{lab}/original", "downloaded"),
    "/patients/{patient_id}": ("records", "/patients/{A}", "patient_viewed"),
    "/patients/{patient_id}/release": ("records", "/patients/{A}/release", "patient_viewed"),
    "/review": ("records", "/review", "review_queue_viewed"),
    "/review/{doc_id}": ("records", "/review/{lab}", "document_viewed"),
    "/documents/{doc_id}/transcript": ("clinician", "/documents/{dictation}/transcript", "document_viewed"),
    "/audit": ("compliance", "/audit?action=search", "audit_queried"),
    "/audit/export.csv": ("compliance", "/audit/export.csv?action=login", "audit_queried"),
    "/audit/disclosures": ("compliance", "/audit/disclosures?patient={A}", "disclosures_reported"),
    "/audit/grants": ("compliance", "/audit/grants", "audit_queried"),
    "/retention": ("compliance", "/retention", "retention_act"),
    "/retention/holds": ("compliance", "/retention/holds", "retention_act"),
}
# Pages that need a permission but show no patient data.
NO_PATIENT_DATA = {"/status", "/users", "/break-glass", "/audit/verify", "/retention/runs"}
# Audited, and tested where a disposal run exists to download from (tests/web/test_retention_pages.py).
AUDITED_ELSEWHERE = {"/retention/runs/{run_id}/certificate.csv", "/retention/runs/{run_id}/certificate.pdf"}


def test_every_page_that_shows_patient_data_writes_its_audit_event(web_app: FastAPI, site: Site,
                                                                  client_for: Client) -> None:
    pages_with_permission = {route.path for route, method in routes(web_app)
                             if method == "GET" and (need := requirement_of(route)) and need.permission}
    assert pages_with_permission == set(AUDITED_PAGES) | NO_PATIENT_DATA | AUDITED_ELSEWHERE, \
        "a new page: say what it audits"
    names = {**site.docs, **site.patients}
    for path, (role, url, action) in AUDITED_PAGES.items():
        client = client_for(role)
        actor = site.users[role].username
        before = _events(site, action, actor)
        response = client.get(url.format(**names))
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert _events(site, action, actor) == before + 1, (path, action)


def test_break_the_glass_opens_a_restricted_document_and_flags_the_views(site: Site, client_for: Client) -> None:
    clinician = client_for("clinician")
    doc = site.docs["private"]
    assert clinician.get(f"/documents/{doc}").status_code == 404
    chart = clinician.get(f"/patients/{site.patients['B']}").text
    assert "1 restricted document in this chart" in chart and "Break the glass" in chart
    form = clinician.get(f"/break-glass?document={doc}")
    short = clinician.post("/break-glass", data={"csrf_token": csrf_of(form.text), "document": doc,
                                                 "reason": "need", "minutes": 30})
    assert short.status_code == 400 and "reason of at least" in short.text
    granted = clinician.post("/break-glass", data={"csrf_token": csrf_of(form.text), "document": doc,
                                                   "reason": "patient collapsed in the waiting room", "minutes": 30},
                             follow_redirects=False)
    assert granted.status_code == 303 and granted.headers["location"] == f"/documents/{doc}"
    opened = clinician.get(f"/documents/{doc}")
    assert opened.status_code == 200 and "breaking the glass" in opened.text
    with site.app.db.read() as conn:
        flags = conn.execute(select(audit_events.c.action, audit_events.c.break_glass).where(
            audit_events.c.document_id == doc, audit_events.c.actor == site.users["clinician"].username,
            audit_events.c.outcome == "ok")).all()
    assert ("break_glass", 1) in flags and ("document_viewed", 1) in flags
    compliance = client_for("compliance")
    reviews = compliance.get("/audit/grants").text
    assert "patient collapsed in the waiting room" in reviews
    grant_id = int(re.search(r'action="/audit/grants/(\d+)"', reviews).group(1))  # type: ignore[union-attr]
    done = compliance.post(f"/audit/grants/{grant_id}", data={"csrf_token": csrf_of(reviews), "status": "accepted",
                                                              "note": "emergency confirmed with the ward"},
                           follow_redirects=False)
    assert done.status_code == 303
    assert "emergency confirmed" not in compliance.get("/audit/grants").text  # no longer pending


def test_release_of_information_makes_one_pdf_and_enters_the_register(site: Site, client_for: Client) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    records = client_for("records")
    form = records.get(f"/patients/{site.patients['A']}/release")
    chosen = [site.docs["lab"], site.docs["scan"], site.docs["dictation"]]
    response = records.post(f"/patients/{site.patients['A']}/release", data={
        "csrf_token": csrf_of(form.text), "doc_ids": chosen, "recipient": "Dr. Example, Lakeside Clinic",
        "address": "1 Lake Road, Springfield", "purpose": "continuing care", "disclosed_on": "2026-01-15"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    pdf = PdfReader(BytesIO(response.content))
    assert len(pdf.pages) >= 1 + len(chosen)
    cover = pdf.pages[0].extract_text()
    assert "RELEASE OF INFORMATION" in cover and "Lakeside Clinic" in cover and "continuing care" in cover
    assert "UNVERIFIED DRAFT" in " ".join(p.extract_text() for p in pdf.pages) or "confirmed by" in cover + "".join(
        p.extract_text() for p in pdf.pages)
    report = client_for("compliance").get(f"/audit/disclosures?patient={site.patients['A']}").text
    assert "Lakeside Clinic" in report and "continuing care" in report
    hidden = records.post(f"/patients/{site.patients['A']}/release", data={
        "csrf_token": csrf_of(form.text), "doc_ids": [site.docs["private"]], "recipient": "x", "address": "y",
        "purpose": "z", "disclosed_on": "2026-01-15"})
    assert hidden.status_code == 404  # a document of another chart is refused like a missing one


def test_a_clinician_confirms_a_transcript_and_the_draft_mark_goes(site: Site, client_for: Client) -> None:
    doc = site.docs["dictation"]
    records = client_for("records")
    assert records.get(f"/documents/{doc}/transcript").status_code == 403  # records may read, not confirm
    clinician = client_for("clinician")
    form = clinician.get(f"/documents/{doc}/transcript")
    assert form.status_code == 200
    empty = clinician.post(f"/documents/{doc}/transcript", data={"csrf_token": csrf_of(form.text), "text": "  ",
                                                                 "action": "correct"})
    assert empty.status_code == 400 and "empty" in empty.text
    done = clinician.post(f"/documents/{doc}/transcript", data={"csrf_token": csrf_of(form.text), "text": "",
                                                                "action": "confirm"}, follow_redirects=False)
    assert done.status_code == 303
    page = clinician.get(f"/documents/{doc}").text
    assert "unverified draft" not in page and "confirmed by" in page
    with site.app.db.read() as conn:
        event = conn.execute(select(audit_events.c.detail, audit_events.c.outcome).where(
            audit_events.c.action == "transcript_confirmed", audit_events.c.document_id == doc,
            audit_events.c.actor == site.users["clinician"].username)
            .order_by(audit_events.c.seq.desc()).limit(1)).one()  # the browser test may have confirmed it before
    assert event.outcome == "ok" and json.loads(event.detail)["corrected"] is False


def test_status_says_when_the_search_index_cannot_be_reached(site: Site, client_for: Client) -> None:
    reason = "the search cluster cannot be reached (bulk); check search.cluster.urls in the config"
    with site.app.db.write() as conn:
        set_meta(conn, feed.OUTAGE_KEY, f"{utcnow().isoformat()} {reason}")
    try:
        page = client_for("admin").get("/status").text
        assert "The search index cannot be reached since" in page and "check search.cluster.urls" in page
    finally:
        with site.app.db.write() as conn:
            set_meta(conn, feed.OUTAGE_KEY, "")
    assert "cannot be reached" not in client_for("admin").get("/status").text


def test_status_shows_the_quarantine_with_its_reason(site: Site, client_for: Client) -> None:
    records = client_for("records")
    page = records.get("/status").text
    assert f"#{site.docs['broken']}" in page and "broken.pdf" in page
    refused = records.post(f"/status/retry/{site.docs['broken']}",
                                         headers={"X-CSRF-Token": csrf_of(page), "Accept": "application/json"})
    assert refused.status_code == 409 and "not waiting for a retry" in refused.json()["error"]
    assert SUD not in page
    upkeep = client_for("admin").get("/status").text  # maintain without review: no file names
    assert f"#{site.docs['broken']}" in upkeep and "broken.pdf" not in upkeep
