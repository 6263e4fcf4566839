"""The extract stage on generated files, with real tesseract and real SQLite.

Character error rate bounds (normalised whitespace, against each page's ground
truth; measured values in brackets on this machine):
  born-digital text layer  < 0.5 %   [0.0 %]
  fine fax (G4, 204x196)   < 3 %     [0.3 %]
  normal fax (G3, 204x98)  < 6 %     [2.0 %]
  300 dpi scans            < 2 %     [0.0-0.1 %]
  phone photos, HEIC       < 3 %     [0.1-0.4 %]
Table pages are compared with `word_cer` (reading order of columns may differ).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

from chartdesk.app import App
from tests.gen import FixtureCache, cer, word_cer
from tests.ocr.conftest import Extracted, extract

Run = Callable[..., Extracted]


def _cers(ex: Extracted, truths: tuple[str, ...], metric: Callable[[str, str], float] = cer) -> list[float]:
    return [metric(truth, row["text"]) for truth, row in zip(truths, ex.rows, strict=True)]


def test_born_digital_pdf_uses_the_text_layer_and_tables(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("born_digital", kind="lab_result", seed=2)
    ex = run_extract(built)
    assert [r["method"] for r in ex.rows] == ["text_layer"] * built.page_count
    assert max(_cers(ex, built.truths)) < 0.005
    assert ex.result.summary["engine"] is None  # no OCR engine was even created
    table = ex.rows[0]["tables"][0]
    assert table[0][:2] in (["Test", "Result"], ["Analyte", "Value"])
    assert not any((ex.folder / r["image"]).exists() for r in ex.rows)  # drawn on first view
    assert ex.heartbeats == built.page_count
    assert ex.result.updates == {"page_count": 2, "flags": {"ocr_pages": 0}}


def test_fine_fax_g4_multipage(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("fax", kind="discharge_summary", seed=1, mode="fine", compression="group4")
    ex = run_extract(built)
    assert built.page_count >= 2 and len(ex.rows) == built.page_count
    assert all(r["method"] == "ocr" and r["engine"] == "tesseract" for r in ex.rows)
    assert max(_cers(ex, built.truths)) < 0.03
    assert all(r["confidence"] > 80 for r in ex.rows)
    assert "square_pixels" not in ex.rows[0]["info"]  # a fine fax is not upscaled


def test_normal_fax_g3_gets_square_pixels(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("fax", kind="referral_letter", seed=4, mode="normal", compression="group3")
    ex = run_extract(built)
    row = ex.rows[0]
    assert row["info"]["square_pixels"] == "204x98"
    assert row["dpi"] == 204 and row["height"] > row["width"]
    assert cer(built.truths[0], row["text"]) < 0.06


def test_scanner_pdf_page_is_read_from_its_embedded_image_at_its_dpi(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("fax", kind="lab_result", seed=2, fmt="pdf")
    ex = run_extract(built)
    for row in ex.rows:
        assert row["info"]["source"] == "embedded"
        assert row["info"]["filters"] == ["CCITTFaxDecode"]
        assert row["info"]["dpi_in"] == [204.0, 196.0]
    assert max(_cers(ex, built.truths, word_cer)) < 0.10  # lab grids on a fax: measured 3.1 % and 6.9 %


def test_grey_scan_pdf_and_colour_tiff_with_an_upside_down_page(gen: FixtureCache, run_extract: Run) -> None:
    scan_pdf = gen.build("scan", kind="discharge_summary", seed=1)
    ex = run_extract(scan_pdf)
    assert {r["info"]["source"] for r in ex.rows} == {"embedded"}
    assert max(_cers(ex, scan_pdf.truths)) < 0.02
    tiff = gen.build("scan", kind="discharge_summary", seed=1, fmt="tiff", colour=True, upside_down=(1,))
    ex = run_extract(tiff)
    assert ex.rows[1]["info"]["rotated_degrees"] == 180
    assert "rotated_degrees" not in ex.rows[0]["info"]
    assert ex.rows[0]["info"]["grey_from"] == "RGB"
    assert max(_cers(ex, tiff.truths)) < 0.02


def test_phone_photo_exif_orientation_is_honoured(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("photo", kind="prescription", seed=3, orientation=6)
    ex = run_extract(built)
    row = ex.rows[0]
    assert row["info"]["exif_orientation"] == 6 and row["height"] > row["width"]
    assert row["info"]["dpi_estimated"] is True
    assert cer(built.truths[0], row["text"]) < 0.03


def test_48_megapixel_photo_is_decoded_reduced(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("photo", kind="progress_note", seed=3, megapixels=48)
    ex = run_extract(built)
    row = ex.rows[0]
    assert row["info"]["decoded_reduced_by"] >= 2
    assert cer(built.truths[0], row["text"]) < 0.03


def test_heic_and_png(gen: FixtureCache, run_extract: Run) -> None:
    heic = gen.build("photo", kind="insurance_card", seed=4, fmt="heic")
    ex = run_extract(heic)
    assert cer(heic.truths[0], ex.text(1)) < 0.03
    png = gen.build("scan", kind="referral_letter", seed=2, fmt="png")
    ex = run_extract(png)
    assert cer(png.truths[0], ex.text(1)) < 0.02
    assert ex.rows[0]["dpi"] == 300


def test_mixed_pdf_reads_each_page_its_own_way(gen: FixtureCache, run_extract: Run) -> None:
    built = gen.build("mixed", kind="discharge_summary", seed=1)
    ex = run_extract(built)
    assert [r["method"] for r in ex.rows] == ["text_layer", "ocr"]
    assert max(_cers(ex, built.truths)) < 0.02
    assert ex.result.updates["flags"] == {"ocr_pages": 1}
    assert ex.result.summary["methods"] == {"text_layer": 1, "ocr": 1}


def test_view_images_are_small_greyscale_at_view_dpi(gen: FixtureCache, run_extract: Run, app: App) -> None:
    built = gen.build("scan", kind="eob", seed=1)
    ex = run_extract(built)
    with Image.open(ex.folder / ex.rows[0]["image"]) as view:
        assert view.format == "WEBP"  # WebP has no grey mode: it decodes as RGB
        assert abs(view.width - 8.5 * app.settings.ocr.view_dpi) < 12
    assert ex.rows[0]["info"]["view_bytes"] < 150_000


def test_rerun_replaces_pages_and_keeps_earlier_flags(gen: FixtureCache, app: App) -> None:
    """Given a document ingest flagged, when the stage runs twice (a lost lease),
    then the second commit replaces the pages and ingest's flags survive."""
    built = gen.build("born_digital", kind="referral_letter", seed=1)
    first = extract(app, built, flags={"extension_mismatch": ".tif"})
    again: Any = first.result.record
    with app.db.write() as conn:
        again(conn)
        again(conn)
    assert first.result.updates["flags"]["extension_mismatch"] == ".tif"
    from sqlalchemy import func, select

    from chartdesk.db import pages

    with app.db.read() as conn:
        count = conn.execute(select(func.count()).select_from(pages).where(pages.c.document_id == first.doc.id)).scalar()
    assert count == built.page_count


def test_summary_records_versions_and_options(gen: FixtureCache, run_extract: Run) -> None:
    ex = run_extract(gen.build("fax", kind="referral_letter", seed=4))
    summary = ex.result.summary
    assert summary["engine"] == "tesseract"
    assert summary["engine_version"].startswith("tesseract 5.")
    assert summary["versions"]["inproc_omp_thread_limit"] == "1"
    assert summary["versions"]["cli_tesseract"].startswith("5.")
    assert summary["options"]["render_dpi"] == 300
    assert summary["pages"][0]["method"] == "ocr"
