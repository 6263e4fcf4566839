"""Failure paths through the engine seam.

A crashing or hanging OCR engine cannot be caused for real on demand, so these
tests register fake engines by name (the registry is the seam, no patching) and
select them with `ocr.engine`. The soft timeout is caused for real: tesseract
given a 1 ms deadline gives up on the page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from chartdesk import pipeline
from chartdesk.app import App, open_app
from chartdesk.config import OcrSettings, Settings
from chartdesk.db import documents, utcnow
from chartdesk.errors import ConfigError, StageError, StageTimeoutError, ToolMissingError
from chartdesk.ocr import OcrEngine, OcrText, register_engine, unregister_engine
from chartdesk.stages import State
from tests.gen import FixtureCache
from tests.ocr.conftest import add_document, extract


class CrashingEngine:
    name = "crashing"

    def __init__(self, settings: OcrSettings) -> None:
        self.calls = 0

    def version(self) -> str:
        return "crashing 0"

    def recognize(self, image: Image.Image, *, dpi: int, timeout_seconds: float) -> OcrText:
        raise RuntimeError("engine crashed")

    def orientation(self, image: Image.Image, *, dpi: int) -> int | None:
        return None


class HangingEngine(CrashingEngine):
    """Ignores its deadline and blocks until the test releases it."""

    name = "hanging"
    release = threading.Event()

    def recognize(self, image: Image.Image, *, dpi: int, timeout_seconds: float) -> OcrText:
        self.release.wait(120)
        return OcrText("", None, 0.0)


@pytest.fixture
def fake_engines() -> Iterator[None]:
    factories: dict[str, Callable[[OcrSettings], OcrEngine]] = {"crashing": CrashingEngine, "hanging": HangingEngine}
    for name, factory in factories.items():
        register_engine(name, factory)
    HangingEngine.release.clear()
    yield
    HangingEngine.release.set()
    for name in factories:
        unregister_engine(name)


@pytest.fixture
def fax_page(gen: FixtureCache) -> Path:
    return gen.build("fax", kind="referral_letter", seed=4).path


def _app(settings_factory: Callable[..., Settings], **ocr: object) -> App:
    return open_app(settings_factory(ocr=ocr, pipeline={"max_attempts": 2, "retry_backoff_seconds": 0}),
                    create=True)


@pytest.mark.usefixtures("fake_engines")
def test_crashing_engine_is_retried_then_parked(settings_factory: Callable[..., Settings], fax_page: Path) -> None:
    app = _app(settings_factory, engine="crashing")
    try:
        with pytest.raises(StageError, match="crashing failed on a page"):
            extract(app, fax_page, "image/tiff")
        doc = add_document(app, fax_page, "image/tiff")
        with app.db.write() as conn:
            conn.execute(documents.update().where(documents.c.id == doc.id).values(due_at=utcnow()))
        outcomes = []
        for _ in range(2):
            claimed = pipeline.claim(app, "w1")
            assert claimed is not None and claimed.id == doc.id
            outcomes.append(pipeline.run_claimed(app, claimed, "w1"))
        assert outcomes == ["retry", "parked"]
        with app.db.read() as conn:
            row = conn.execute(select(documents).where(documents.c.id == doc.id)).one()
        assert row.state == State.parked and "crashing failed on a page" in row.last_error
    finally:
        app.close()


@pytest.mark.usefixtures("fake_engines")
def test_hanging_engine_times_out(settings_factory: Callable[..., Settings], fax_page: Path) -> None:
    """Given an engine that ignores its 1 s deadline, when a page is read, then the
    stage gives up about 2 s later with StageTimeoutError (retried by the pipeline)."""
    app = _app(settings_factory, engine="hanging", page_timeout_seconds=1)
    try:
        with pytest.raises(StageTimeoutError, match="within 1 seconds"):
            extract(app, fax_page, "image/tiff")
    finally:
        app.close()


def test_tesseract_deadline_gives_an_empty_page_and_a_warning(settings_factory: Callable[..., Settings],
                                                              fax_page: Path) -> None:
    app = _app(settings_factory, page_timeout_seconds=0.001)
    try:
        ex = extract(app, fax_page, "image/tiff")
    finally:
        app.close()
    assert ex.rows[0]["method"] == "empty" and ex.rows[0]["text"] == ""
    assert ex.rows[0]["info"]["timed_out"] is True
    assert ex.result.warnings == ("page 1 took longer than 0.001 s to read and was left empty",)
    assert ex.result.updates["flags"]["timed_out_pages"] == [1]


def test_unknown_engine_is_a_config_error(settings_factory: Callable[..., Settings], fax_page: Path) -> None:
    app = _app(settings_factory, engine="abbyy")
    try:
        with pytest.raises(ConfigError, match="tesseract"):
            extract(app, fax_page, "image/tiff")
    finally:
        app.close()


def test_missing_language_data_is_tool_missing(settings_factory: Callable[..., Settings], fax_page: Path,
                                                tmp_path: Path) -> None:
    empty = tmp_path / "tessdata"
    empty.mkdir()
    app = _app(settings_factory, tessdata_dir=str(empty))
    try:
        with pytest.raises(ToolMissingError, match=r"eng\.traineddata"):
            extract(app, fax_page, "image/tiff")
    finally:
        app.close()
