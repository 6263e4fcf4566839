"""The PDF wrapper: pypdfium2 for pages, text layer, embedded images and
rendering (the table structure of pages with ruling lines is in tables.py).

Degrade-or-fail policy: a password-protected PDF is `EncryptedInputError`, one
pdfium cannot parse is `CorruptFileError`; a page whose image cannot be taken
out at its own resolution is rendered instead (no error).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from chartdesk.errors import CorruptFileError, EncryptedInputError

log = logging.getLogger(__name__)

# A page is "one embedded image" when a single image covers this much of it.
FULL_PAGE_SHARE = 0.85
# Ruling lines that suggest a table worth looking for (tables.py).
MIN_RULE_PATHS = 8
TEXT_RENDER_INVISIBLE = 3

# pdfium is not thread-safe, not even across documents: calls from threads of
# one process (the web server drawing views on request) take this lock. The
# extract stage runs in worker processes of its own.
PDFIUM_LOCK = threading.Lock()

ENCRYPTED_REMEDY = "open it with its password and save an unprotected copy into the inbox (Print to PDF works)"
CORRUPT_REMEDY = "the file may have been cut short while copying; scan or export it again and drop the new file"


@contextmanager
def open_pdf(path: Path) -> Iterator[pdfium.PdfDocument]:
    """Open a PDF with pdfium, turning its errors into typed ones."""
    pdf = _load(path)
    try:
        yield pdf
    finally:
        pdf.close()


def _load(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        raise _open_error(err) from None


def _open_error(err: pdfium.PdfiumError) -> EncryptedInputError | CorruptFileError:
    code = getattr(err, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return EncryptedInputError("this PDF is password-protected", remedy=ENCRYPTED_REMEDY)
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return EncryptedInputError("this PDF uses an encryption chartdesk cannot open", remedy=ENCRYPTED_REMEDY)
    return CorruptFileError("this PDF is damaged and cannot be read", remedy=CORRUPT_REMEDY)


@dataclass(frozen=True, slots=True)
class EmbeddedImage:
    """The one image of a scanner or fax-server page, at its own resolution."""

    image: Image.Image
    dpi: tuple[float, float]
    bits: int
    filters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What one look at a page's objects tells (no decoding, no rendering)."""

    text_objects: int
    visible_text: bool
    rule_paths: int
    images: int
    full_page_image: Any  # the pdfium image object covering the page, or None
    image_pixels: int  # largest embedded image, width x height from its dictionary


def page_facts(page: pdfium.PdfPage) -> PageFacts:
    width, height = page.get_size()
    area = max(1.0, width * height)
    text = visible = rules = images = 0
    full: Any = None
    largest = 0
    for obj in page.get_objects(max_depth=3):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            text += 1
            if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) != TEXT_RENDER_INVISIBLE:
                visible += 1
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
            rules += 1
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images += 1
            w, h = obj.get_px_size()
            largest = max(largest, w * h)
            left, bottom, right, top = obj.get_bounds()
            if (right - left) * (top - bottom) >= FULL_PAGE_SHARE * area:
                full = obj
    return PageFacts(text, visible > 0, rules, images, full if images == 1 else None, largest)


def text_layer(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()


def real_chars(text: str) -> int:
    """Letters and digits: what counts as real text in a text layer."""
    return sum(ch.isalnum() for ch in text)


_TRANSPOSE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


def embedded_image(page: pdfium.PdfPage, obj: Any) -> EmbeddedImage | None:
    """The page's single image at its own resolution, upright, or None if it is not
    placed plainly (rotated, sheared or mirrored placement: render the page instead)."""
    matrix = obj.get_matrix()
    if abs(matrix.b) > 1e-6 or abs(matrix.c) > 1e-6 or matrix.a <= 0 or matrix.d <= 0:
        return None
    meta = obj.get_metadata()
    try:
        image = obj.get_bitmap(render=False).to_pil()
    except pdfium.PdfiumError:
        return None
    if image.mode not in ("L", "RGB", "1"):
        image = image.convert("RGB")
    if _polarity_flipped(page, image):
        image = Image.eval(image.convert("L"), lambda v: 255 - v)
    if meta.bits_per_pixel == 1 and image.mode == "L":
        image = image.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    rotation = page.get_rotation() % 360
    if rotation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[rotation])
    dpi = (float(meta.horizontal_dpi), float(meta.vertical_dpi))
    if rotation in (90, 270):
        dpi = (dpi[1], dpi[0])
    filters = tuple(str(f) for f in obj.get_filters())
    return EmbeddedImage(image, dpi, int(meta.bits_per_pixel), filters)


def _polarity_flipped(page: pdfium.PdfPage, image: Image.Image) -> bool:
    """True when the raw pixels are the negative of what the page shows (a /Decode
    array or an ImageMask): compare with a tiny rendering of the page."""
    shown = page.render(scale=0.1, grayscale=True, rotation=0).to_pil().convert("L")
    raw = image.convert("L").resize(shown.size, Image.Resampling.BOX)
    mean = _mean(shown)
    return abs(mean - _mean(raw)) > 80 and abs(mean - (255 - _mean(raw))) < 40


def _mean(image: Image.Image) -> float:
    hist = image.histogram()
    total = sum(hist) or 1
    return sum(i * n for i, n in enumerate(hist)) / total


def render(page: pdfium.PdfPage, dpi: float) -> Image.Image:
    """The page rendered in greyscale at `dpi` (rotation applied)."""
    bitmap = page.render(scale=dpi / 72, grayscale=True)
    try:
        return bitmap.to_pil().convert("L")  # a copy: the bitmap is released here, not by a later GC
    finally:
        bitmap.close()


def render_page(path: Path, page_index: int, dpi: float) -> Image.Image | None:
    """One page of the PDF at `path` rendered in greyscale at `dpi`, or None when
    the PDF has no such page. Safe to call from several threads at once."""
    with PDFIUM_LOCK, open_pdf(path) as document:
        if not 0 <= page_index < len(document):
            return None
        page = document[page_index]
        try:
            return render(page, dpi)
        finally:
            page.close()
