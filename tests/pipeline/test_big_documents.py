"""Big documents: a 300-page scan is accepted, one over the page limit is refused
before it is processed, and a long scan does not hold up the small documents
that arrive behind it."""

from __future__ import annotations

import time
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from chartdesk.app import App, open_app
from chartdesk.db import documents
from chartdesk.ingest import take
from chartdesk.service import WorkerPool
from tests.conftest import make_settings
from tests.gen import FixtureCache


def _many_pages(src: Path, dest: Path, pages: int) -> Path:
    """A scanner PDF of `pages` pages (the same scanned page, shared, so it stays small)."""
    page = PdfReader(src).pages[0]
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_page(page)
    with dest.open("wb") as out:
        writer.write(out)
    return dest


def _state(app: App, doc_id: int) -> tuple[str, str | None]:
    with app.db.read() as conn:
        row = conn.execute(select(documents.c.state, documents.c.stage).where(documents.c.id == doc_id)).one()
    return row.state, row.stage


def test_a_300_page_scan_is_accepted_and_one_over_the_limit_refused(tmp_path: Path, gen: FixtureCache) -> None:
    app = open_app(make_settings(tmp_path, ingest={"max_pages": 400}), create=True)
    scan = gen.build("fax", kind="discharge_summary", seed=80, fmt="pdf", mode="fine", compression="group4").path
    big = take(app, _many_pages(scan, tmp_path / "big.pdf", 300), inbox=None, remove=False)
    assert big.status == "stored"
    with app.db.read() as conn:
        assert conn.execute(select(documents.c.page_count).where(documents.c.id == big.document_id)).scalar() == 300
    over = take(app, _many_pages(scan, tmp_path / "over.pdf", 401), inbox=None, remove=False)
    assert (over.status, over.reason_code) == ("rejected", "too_many_pages")
    assert "401 pages" in (over.reason or "") and "limit of 400" in (over.reason or "")


def test_a_long_scan_does_not_stall_the_documents_behind_it(tmp_path: Path, gen: FixtureCache) -> None:
    """Given a 30-page scan taken first and four one-page letters after it, with
    two workers, then every letter is through the pipeline while the scan is
    still being read."""
    settings = make_settings(tmp_path, pipeline={"workers": 2, "lease_seconds": 30})
    app = open_app(settings, create=True)
    scan = gen.build("fax", kind="lab_result", seed=81, fmt="pdf", mode="fine", compression="group4").path
    long_doc = take(app, _many_pages(scan, tmp_path / "long.pdf", 30), inbox=None, remove=False).document_id
    letters = [
        take(app, gen.build("born_digital", kind="referral_letter", seed=82 + i).path, inbox=None, remove=False)
        .document_id
        for i in range(4)
    ]
    assert long_doc is not None and all(letters)
    pool = WorkerPool(settings, count=2)
    pool.start()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if all(_state(app, d)[1] is None for d in letters):
                break
            time.sleep(0.2)
        long_state = _state(app, long_doc)
        assert all(_state(app, d)[1] is None for d in letters), "the letters were held up"
        assert long_state[1] == "extract", f"the long scan should still be in OCR, it is {long_state}"
    finally:
        pool.stop()
