"""View images of text-layer pages: not drawn by the extract stage, drawn from the
original PDF on the first view, kept, and safe under concurrent first views.
Real PDFs, real pdfium, real files."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter

from chartdesk.app import App
from chartdesk.ocr import ExtractStage, view_file
from tests.gen import FixtureCache
from tests.ocr.conftest import Beat, Extracted, context, extract

Run = Callable[..., Extracted]


def _view(app: App, ex: Extracted, page_no: int) -> Path | None:
    row = ex.rows[page_no - 1]
    return view_file(ex.folder / row["image"], method=row["method"], original=app.store.path(ex.doc.sha256),
                     page_index=page_no - 1, view_dpi=app.settings.ocr.view_dpi)


def test_a_text_layer_page_is_drawn_on_its_first_view_and_kept(gen: FixtureCache, run_extract: Run,
                                                                app: App) -> None:
    """Given a born-digital PDF through the extract stage (no view image written),
    when a page is viewed, then its image is drawn at view_dpi with the size the
    page row gave, and a second view serves the same file without drawing again."""
    ex = run_extract(gen.build("born_digital", kind="lab_result", seed=2))
    row = ex.rows[0]
    assert not (ex.folder / row["image"]).exists()
    assert row["info"]["size_points"] == [612.0, 792.0]

    path = _view(app, ex, 1)

    assert path == ex.folder / row["image"]
    with Image.open(path) as view:
        assert view.format == "WEBP"
        assert view.size == (row["width"], row["height"])
        assert view.convert("L").getextrema()[0] < 100  # there is ink on the page
    made = path.stat().st_mtime_ns
    assert _view(app, ex, 1) == path and path.stat().st_mtime_ns == made
    assert not (ex.folder / ex.rows[1]["image"]).exists()  # only the page viewed


def test_concurrent_first_views_each_get_a_whole_image(gen: FixtureCache, run_extract: Run, app: App) -> None:
    """Given eight threads that view the two pages of a new document at the same
    moment, then every one gets a readable image and no temporary file is left."""
    ex = run_extract(gen.build("born_digital", kind="referral_letter", seed=3))
    gate = threading.Barrier(8)
    got: list[Path | None] = []
    errors: list[BaseException] = []

    def viewer(page_no: int) -> None:
        gate.wait()
        try:
            got.append(_view(app, ex, page_no))
        except BaseException as err:  # noqa: BLE001 - reported by the assert below
            errors.append(err)

    threads = [threading.Thread(target=viewer, args=(1 + i % len(ex.rows),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == [] and len(got) == 8
    for path in got:
        assert path is not None
        with Image.open(path) as view:
            view.load()
    assert sorted(p.name for p in ex.folder.iterdir()) == sorted(r["image"] for r in ex.rows)


def test_no_image_is_made_up_where_none_can_be_drawn(gen: FixtureCache, run_extract: Run, app: App,
                                                      tmp_path: Path) -> None:
    """An OCR page whose image is gone is not redrawn (its image was the cleaned-up
    scan); nor is a page the original does not have, nor one whose original is gone."""
    scan = run_extract(gen.build("scan", kind="eob", seed=1))
    (scan.folder / scan.rows[0]["image"]).unlink()
    assert _view(app, scan, 1) is None

    born = run_extract(gen.build("born_digital", kind="referral_letter", seed=5))
    target = born.folder / "page-0099.webp"
    original = app.store.path(born.doc.sha256)
    assert view_file(target, method="text_layer", original=original, page_index=98, view_dpi=110) is None
    assert view_file(target, method="text_layer", original=tmp_path / "gone.pdf", page_index=0, view_dpi=110) is None
    assert not target.exists()


def test_a_rotated_page_is_drawn_at_the_size_its_row_gives(gen: FixtureCache, run_extract: Run, app: App,
                                                           tmp_path: Path) -> None:
    """A page turned by /Rotate 90 is shown landscape: its row and its drawing agree."""
    reader = PdfReader(gen.build("born_digital", kind="referral_letter", seed=6).path)
    writer = PdfWriter()
    writer.add_page(reader.pages[0]).rotate(90)
    path = tmp_path / "turned.pdf"
    with path.open("wb") as out:
        writer.write(out)

    ex = run_extract(path, "application/pdf")

    row = ex.rows[0]
    assert row["method"] == "text_layer" and row["width"] > row["height"]
    drawn = _view(app, ex, 1)
    assert drawn is not None
    with Image.open(drawn) as view:
        assert view.size == (row["width"], row["height"])


def test_extracting_again_removes_a_view_left_by_an_earlier_run(gen: FixtureCache, app: App) -> None:
    """Given a page viewed after a first run, when the stage runs again (reprocess),
    then the old drawing goes: the next view draws it from the new reading."""
    ex = extract(app, gen.build("born_digital", kind="progress_note", seed=4))
    drawn = _view(app, ex, 1)
    assert drawn is not None and drawn.is_file()
    ExtractStage().run(ex.doc, context(app, Beat()))
    assert not drawn.exists()
