"""The generators produce what they claim: determinism, truth that matches the
text layer, real fax TIFF tags, EXIF-rotated photos, one image per scanner-PDF page."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageOps
from pypdf import PdfReader

from tests.gen import KINDS, cer, make_document, pdf_bytes, roster
from tests.gen.cache import FixtureCache


def test_roster_is_deterministic_and_varied() -> None:
    a, b = roster(7), roster(7)
    assert a == b
    families = {p.family for p in roster(0, patients=400).patients}
    assert {"O'Brien", "García-López"} <= families
    assert any(ch in "".join(families) for ch in "éüøá")


@pytest.mark.parametrize("kind", KINDS)
def test_document_text_layer_matches_truth(kind: str) -> None:
    doc = make_document(kind, 5)
    assert doc == make_document(kind, 5)
    assert doc.patient.family in doc.text or doc.patient.family.upper() in doc.text
    assert doc.dob_text in doc.text or kind == "eob"
    data, truths = pdf_bytes(doc)
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == len(truths)
    for i, truth in enumerate(truths):
        text = pdf[i].get_textpage().get_text_bounded()
        assert cer(truth, text) < 0.01


def test_lab_result_spans_pages_with_ruled_tables() -> None:
    data, truths = pdf_bytes(make_document("lab_result", 2))
    assert len(truths) >= 2
    assert "Reference" in truths[0] or "Ref. Interval" in truths[0]


def test_fax_tiff_has_fax_resolution_and_compression(gen: FixtureCache) -> None:
    for mode, compression, ydpi in (("fine", "group4", 196), ("normal", "group3", 98)):
        built = gen.build("fax", kind="referral_letter", seed=1, mode=mode, compression=compression)
        with Image.open(built.path) as im:
            assert im.mode == "1"
            assert im.width == 1728
            assert im.info["compression"] == compression
            assert tuple(round(v) for v in im.info["dpi"]) == (204, ydpi)
            assert im.n_frames == built.page_count
        assert built.truths[0].startswith("FROM: ")


def test_scanner_pdf_has_one_image_per_page_at_its_resolution(gen: FixtureCache) -> None:
    built = gen.build("fax", kind="lab_result", seed=2, fmt="pdf")
    reader = PdfReader(built.path)
    assert len(reader.pages) == built.page_count
    for page in reader.pages:
        images = page.images
        assert len(images) == 1
        width_in = float(page.mediabox.width) / 72
        assert round(images[0].image.width / width_in) == 204
        assert "/CCITTFaxDecode" in str(page["/Resources"]["/XObject"][list(page["/Resources"]["/XObject"])[0]].get_object()["/Filter"])
    assert pdfium.PdfDocument(str(built.path))[0].get_textpage().count_chars() == 0


def test_phone_photo_is_stored_rotated_with_exif_orientation(gen: FixtureCache) -> None:
    built = gen.build("photo", kind="prescription", seed=3, orientation=6)
    with Image.open(built.path) as im:
        assert im.size == (4032, 3024)  # stored landscape
        assert im.getexif()[0x0112] == 6
        assert ImageOps.exif_transpose(im).size == (3024, 4032)  # displayed portrait


def test_heic_photo_opens(gen: FixtureCache) -> None:
    import pillow_heif

    built = gen.build("photo", kind="insurance_card", seed=4, fmt="heic")
    assert built.media_type == "image/heic"
    heif = pillow_heif.open_heif(built.path)
    assert max(heif.size) == 4032


def test_scan_upside_down_and_mixed_pdf(gen: FixtureCache) -> None:
    built = gen.build("scan", kind="discharge_summary", seed=1, fmt="tiff", upside_down=(1,))
    assert built.params["rotation"][:2] == [0, 180]
    assert all(0.5 <= abs(s) <= 4.0 for s in built.params["skew"])
    mixed = gen.build("mixed", kind="discharge_summary", seed=1)
    pdf = pdfium.PdfDocument(str(mixed.path))
    counts = [pdf[i].get_textpage().count_chars() for i in range(len(pdf))]
    assert counts[0] > 200 and counts[1] == 0
