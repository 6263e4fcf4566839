"""Files refused before their content is opened: each ends in quarantine with a
reason a receptionist understands, as its own `rejected` document, and the
inbox is left empty. (Rejections that need a look inside a PDF or image are
tested with the OCR room's fixtures in test_intake.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk.app import App
from chartdesk.db import documents
from chartdesk.ingest import take
from chartdesk.quarantine import REASON_SUFFIX


def _take(app: App, path: Path) -> tuple[str, str | None, Path]:
    inbox = app.settings.inbox("scans")
    outcome = take(app, path, inbox=inbox, remove=True)
    with app.db.read() as conn:
        row = conn.execute(select(documents).where(documents.c.id == outcome.document_id)).one()
    assert row.state == "rejected"
    assert outcome.status == "rejected"
    return outcome.reason_code or "", row.reason, Path(row.quarantine_path)


@pytest.mark.parametrize(
    ("name", "content", "code", "words"),
    [
        ("empty.pdf", b"", "empty", "empty"),
        ("letter.pdf", b"Dear Dr Smith, thank you for seeing...\n", "unsupported_type", "print it to PDF"),
        ("dictation.dss", b"\x02dss" + b"\x00" * 600, "unreadable_dss", "export it as WAV or MP3"),
        ("notes.docx", b"PK\x03\x04" + b"\x00" * 300, "unreadable_zip", "print the document to PDF"),
        ("scan.pdf", os.urandom(4096), "unsupported_type", "not a PDF, image or audio"),
    ],
)
def test_refused_files_are_quarantined_with_a_reason(app: App, name: str, content: bytes, code: str, words: str) -> None:
    inbox = app.settings.inbox("scans").path
    dropped = inbox / name
    dropped.write_bytes(content)
    got_code, reason, qpath = _take(app, dropped)
    assert got_code == code
    assert words.lower() in (reason or "").lower()
    assert not dropped.exists(), "the inbox file is moved, not copied"
    assert qpath.read_bytes() == content, "the quarantined file is exactly what was dropped"
    note = qpath.with_name(qpath.name + REASON_SUFFIX).read_text()
    assert code in note and name in note


def test_over_the_size_limit_is_refused_without_reading_it_all(settings_factory) -> None:  # type: ignore[no-untyped-def]
    from chartdesk.app import open_app

    app = open_app(settings_factory(ingest={"max_file_mb": 1}), create=True)
    big = app.settings.inbox("scans").path / "big scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    size = big.stat().st_size
    code, reason, qpath = _take(app, big)
    assert code == "too_large"
    assert "1 MB limit" in (reason or "")
    assert qpath.stat().st_size == size, "nothing is lost: the whole file is in quarantine"


def test_a_symlink_is_kept_as_a_link_and_never_followed(app: App, tmp_path: Path) -> None:
    secret = tmp_path / "outside.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    link = app.settings.inbox("scans").path / "shortcut.pdf"
    link.symlink_to(secret)
    code, reason, qpath = _take(app, link)
    assert code == "unsafe_file"
    assert qpath.is_symlink()
    assert secret.read_bytes() == b"%PDF-1.4 secret"
    assert not any(app.store.iter_hashes()), "nothing behind the link was stored"


def test_a_fifo_is_never_opened(app: App) -> None:
    fifo = app.settings.inbox("scans").path / "pipe.pdf"
    os.mkfifo(fifo)
    code, _reason, _qpath = _take(app, fifo)  # would hang forever if it were opened for reading
    assert code == "unsafe_file"
    assert not fifo.exists()


@pytest.mark.parametrize(
    "name",
    ["Scan 2026-03-04 (1).pdf", "Zoë Müller – Befund.pdf", "..\\..\\evil.pdf", "a:b*c?.pdf", "x" * 240 + ".pdf"],
)
def test_awkward_names_are_quarantined_safely(app: App, name: str) -> None:
    dropped = app.settings.inbox("scans").path / name
    dropped.write_bytes(b"")
    code, _reason, qpath = _take(app, dropped)
    assert code == "empty"
    assert qpath.parent.parent == app.settings.quarantine_dir
    assert "/" not in qpath.name and "\\" not in qpath.name
    assert len(qpath.name.encode()) <= 130


def test_each_rejected_drop_is_recorded_even_for_the_same_bytes(app: App) -> None:
    inbox = app.settings.inbox("scans").path
    ids = []
    for _ in range(2):
        (inbox / "empty.pdf").write_bytes(b"")
        ids.append(take(app, inbox / "empty.pdf", inbox=app.settings.inbox("scans"), remove=True).document_id)
    assert ids[0] != ids[1]
