"""Where a page's text comes from, decided page by page.

A PDF page with real text in its text layer is read from it (tables.py adds
the table structure on pages with ruling lines). A PDF page that is one
embedded image (scanner and fax-server PDFs) gives that image at its own
resolution; any other PDF page is rendered at settings.ocr.render_dpi (lowered
so the page stays under ingest.max_image_pixels). Image files give their pages
(TIFF frames) one at a time. Only one page's pixels are held at a time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from chartdesk.config import Settings
from chartdesk.errors import DecompressionBombError
from chartdesk.ocr import cleanup, images, pdf
from chartdesk.ocr.tables import read_tables


@dataclass(slots=True)
class TextPage:
    """A page read from the PDF text layer."""

    index: int
    text: str
    tables: list[Any] | None
    size_points: tuple[float, float]  # as shown (after the page's rotation)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImagePage:
    """A page to OCR: its pixels, their resolution, where they came from."""

    index: int
    image: Image.Image
    dpi: tuple[float, float]
    source: str  # embedded | rendered | file
    info: dict[str, Any] = field(default_factory=dict)


Page = TextPage | ImagePage


def iter_pages(path: Path, kind: str, settings: Settings) -> Iterator[Page]:
    if kind == "pdf":
        yield from _pdf_pages(path, settings)
    else:
        yield from _image_pages(path, settings)


def _image_pages(path: Path, settings: Settings) -> Iterator[Page]:
    for source in images.iter_pages(path, settings.ingest.max_image_pixels):
        image, tag = cleanup.upright(source.image) if source.exif_orientation != 1 else (source.image, 1)
        dpi = source.dpi if tag not in (5, 6, 7, 8) else (source.dpi[1], source.dpi[0])
        info: dict[str, Any] = {"format_dpi": list(source.stored_dpi) if source.stored_dpi else None}
        if tag != 1:
            info["exif_orientation"] = tag
        if source.reduced != 1.0:
            info["decoded_reduced_by"] = source.reduced
        if source.stored_dpi is None or tuple(source.stored_dpi) != tuple(source.dpi):
            info["dpi_estimated"] = True
        yield ImagePage(source.index, image, dpi, "file", info)


def _pdf_pages(path: Path, settings: Settings) -> Iterator[Page]:
    with pdf.open_pdf(path) as document:
        for index in range(len(document)):
            page = document[index]
            try:
                yield _pdf_page(page, index, settings)
            finally:
                page.close()


def _pdf_page(page: Any, index: int, settings: Settings) -> Page:
    started = time.perf_counter()
    facts = pdf.page_facts(page)
    text = pdf.text_layer(page)
    chars = pdf.real_chars(text)
    info: dict[str, Any] = {"text_layer_chars": chars}
    # Text over a full-page image is only trusted when it is invisible (a
    # scanner's own OCR layer); visible text there is a stamp on a scan.
    if chars >= settings.ocr.min_text_chars and (facts.full_page_image is None or not facts.visible_text):
        info["text_layer_seconds"] = round(time.perf_counter() - started, 4)
        return _text_page(page, index, text, facts, info)
    if facts.full_page_image is not None:
        if facts.image_pixels > settings.ingest.max_image_pixels:
            raise DecompressionBombError(
                f"page {index + 1} holds an image of {facts.image_pixels:,} pixels, over the limit",
                remedy=images.BOMB_REMEDY,
            )
        embedded = pdf.embedded_image(page, facts.full_page_image)
        if embedded is not None:
            info.update(filters=list(embedded.filters), bits=embedded.bits)
            return ImagePage(index, embedded.image, embedded.dpi, "embedded", info)
    dpi = render_dpi(page.get_size(), settings)
    info["render_dpi"] = dpi
    return ImagePage(index, pdf.render(page, dpi), (dpi, dpi), "rendered", info)


def _text_page(page: Any, index: int, text: str, facts: pdf.PageFacts, info: dict[str, Any]) -> TextPage:
    tables = None
    if facts.rule_paths >= pdf.MIN_RULE_PATHS:
        started = time.perf_counter()
        tables = read_tables(page) or None
        info["tables_seconds"] = round(time.perf_counter() - started, 4)
    size = page.get_size()
    return TextPage(index, text, tables, size, info)


def render_dpi(size_points: tuple[float, float], settings: Settings) -> int:
    """settings.ocr.render_dpi, lowered so that the page fits in max_image_pixels."""
    inches = max(1e-3, size_points[0] / 72) * max(1e-3, size_points[1] / 72)
    cap = math.sqrt(settings.ingest.max_image_pixels / inches)
    return max(36, min(settings.ocr.render_dpi, int(cap)))
