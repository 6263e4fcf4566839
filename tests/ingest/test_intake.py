"""Taking accepted files: stored once by content, recorded, removed from the inbox
only after both; the same bytes twice are one document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk.app import App
from chartdesk.db import document_events, documents
from chartdesk.ingest import take
from chartdesk.store import file_sha256
from tests.gen import FixtureCache

CASES = [
    ("born_digital", {}, "application/pdf", "pdf"),
    ("scan", {"fmt": "tiff"}, "image/tiff", "image"),
    ("fax", {"mode": "fine", "compression": "group4"}, "image/tiff", "image"),
    ("fax", {"mode": "normal", "compression": "group3"}, "image/tiff", "image"),
    ("scan", {"fmt": "pdf"}, "application/pdf", "pdf"),
    ("photo", {"fmt": "jpeg", "orientation": 6}, "image/jpeg", "image"),
    ("photo", {"fmt": "heic"}, "image/heic", "image"),
    ("scan", {"fmt": "png"}, "image/png", "image"),
]


def _drop(app: App, src: Path, name: str | None = None, inbox: str = "scans") -> Path:
    dest = app.settings.inbox(inbox).path / (name or src.name)
    shutil.copyfile(src, dest)
    return dest


@pytest.mark.parametrize(("what", "options", "media_type", "kind"), CASES)
def test_accepted_files_are_stored_recorded_and_removed(
    app: App, gen: FixtureCache, what: str, options: dict, media_type: str, kind: str
) -> None:
    built = gen.build(what, kind="referral_letter", seed=1, **options)
    dropped = _drop(app, built.path)
    outcome = take(app, dropped, inbox=app.settings.inbox("scans"), remove=True)
    assert outcome.status == "stored"
    assert not dropped.exists()
    with app.db.read() as conn:
        row = conn.execute(select(documents).where(documents.c.id == outcome.document_id)).one()
    assert (row.media_type, row.kind, row.state, row.stage) == (media_type, kind, "received", "extract")
    assert row.page_count == built.page_count
    assert row.sha256 == file_sha256(built.path)
    assert app.store.verify(row.sha256)
    assert row.source == "scan" and row.inbox == "scans"


def test_the_same_bytes_twice_are_one_document_and_the_second_drop_is_recorded(app: App, gen: FixtureCache) -> None:
    built = gen.build("born_digital", kind="lab_result", seed=2)
    first = take(app, _drop(app, built.path, "a.pdf"), inbox=app.settings.inbox("scans"), remove=True)
    second = take(app, _drop(app, built.path, "copy of a.pdf", "faxes"), inbox=app.settings.inbox("faxes"), remove=True)
    assert (first.status, second.status) == ("stored", "duplicate")
    assert first.document_id == second.document_id
    with app.db.read() as conn:
        assert conn.execute(select(documents.c.id)).scalars().all() == [first.document_id]
        kinds = conn.execute(
            select(document_events.c.kind).where(document_events.c.document_id == first.document_id)
        ).scalars().all()
    assert kinds == ["received", "duplicate_drop"]
    assert len(list(app.store.iter_hashes())) == 1


def test_a_mislabelled_file_is_read_by_its_content_and_flagged(app: App, gen: FixtureCache) -> None:
    built = gen.build("photo", kind="insurance_card", seed=3, fmt="jpeg")
    outcome = take(app, _drop(app, built.path, "card.pdf"), inbox=app.settings.inbox("scans"), remove=True)
    with app.db.read() as conn:
        row = conn.execute(select(documents).where(documents.c.id == outcome.document_id)).one()
    assert row.media_type == "image/jpeg"
    assert row.flags["extension_mismatch"] == ".pdf"


def test_a_leftover_after_a_crash_between_commit_and_removal_is_only_removed(app: App, gen: FixtureCache) -> None:
    """Given a file whose row was committed but which is still in the inbox (the
    service died before removing it), when it is taken again, then nothing new is
    recorded and the inbox copy goes."""
    built = gen.build("born_digital", kind="progress_note", seed=4)
    dropped = _drop(app, built.path)
    first = take(app, dropped, inbox=app.settings.inbox("scans"), remove=False)  # as if killed before removal
    again = take(app, dropped, inbox=app.settings.inbox("scans"), remove=True)
    assert again.status == "leftover" and again.document_id == first.document_id
    assert not dropped.exists()
    with app.db.read() as conn:
        kinds = conn.execute(select(document_events.c.kind)).scalars().all()
    assert kinds == ["received"]


def test_user_files_given_to_ingest_are_left_in_place(app: App, gen: FixtureCache, tmp_path: Path) -> None:
    built = gen.build("born_digital", kind="consent_form", seed=5)
    mine = tmp_path / "mine.pdf"
    shutil.copyfile(built.path, mine)
    outcome = take(app, mine, inbox=None, remove=False)
    assert outcome.status == "stored"
    assert mine.exists()
    with app.db.read() as conn:
        assert conn.execute(select(documents.c.source)).scalar_one() == "upload"
