"""The extract stage: each page's text from the PDF text layer or from OCR.

Reads the original from the store, page by page (one page's pixels in memory at
a time), keeps the view image of each OCR page in the document's derived folder
(a text-layer page's is drawn on its first view: views.view_file), and returns
the `pages` rows to write in the pipeline's commit transaction.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Connection

from chartdesk.config import Settings
from chartdesk.db import pages
from chartdesk.errors import EmptyFileError
from chartdesk.ocr import read, sources, versions, views
from chartdesk.ocr.engine import OcrEngine, get_engine
from chartdesk.stages import Doc, StageContext, StageResult, State

log = logging.getLogger(__name__)

LOW_CONFIDENCE_FLAG = 50.0  # a page read below this mean word confidence is flagged
BLANK_CHARS = 3  # a page with fewer real characters is blank


@dataclass(slots=True)
class _Run:
    """What one run of the stage has found so far."""

    doc: Doc
    ctx: StageContext
    folder: Path
    steps: read.Steps
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: list[dict[str, Any]] = field(default_factory=list)
    engine: OcrEngine | None = None

    def ocr_engine(self) -> OcrEngine:
        if self.engine is None:
            self.engine = get_engine(self.ctx.settings.ocr)
        return self.engine


class ExtractStage:
    name = "extract"

    def __init__(self, steps: read.Steps | None = None) -> None:
        self.steps = steps or read.Steps()

    def applies(self, doc: Doc, ctx: StageContext) -> bool:
        return doc.kind in ("pdf", "image")

    def warm_up(self, settings: Settings) -> None:
        """Load the OCR engine before the first page needs it."""
        get_engine(settings.ocr)

    def run(self, doc: Doc, ctx: StageContext) -> StageResult:
        started = time.perf_counter()
        Image.MAX_IMAGE_PIXELS = ctx.settings.ingest.max_image_pixels
        folder = ctx.derived_dir(doc.id)
        folder.mkdir(parents=True, exist_ok=True)
        run = _Run(doc, ctx, folder, self.steps)
        for page in sources.iter_pages(ctx.blob_path(doc.sha256), doc.kind, ctx.settings):
            ctx.heartbeat()
            _extract_page(run, page)
        if not run.rows:
            raise EmptyFileError("this file has no pages", remedy="scan or export the document again")
        return _result(run, time.perf_counter() - started)


def _extract_page(run: _Run, page: sources.Page) -> None:
    started = time.perf_counter()
    row = _text_row(run, page) if isinstance(page, sources.TextPage) else _ocr_row(run, page)
    seconds = round(time.perf_counter() - started, 3)
    row["info"]["seconds"] = seconds
    run.rows.append(row)
    run.timings.append({"page": row["page_no"], "method": row["method"], "seconds": seconds})
    log.debug("page %s: %s in %.2f s", row["page_no"], row["method"], seconds)


def _text_row(run: _Run, page: sources.TextPage) -> dict[str, Any]:
    # The view image is drawn from the original on the page's first view
    # (views.view_file); one left by an earlier run may show another reading.
    name = views.view_name(page.index + 1)
    (run.folder / name).unlink(missing_ok=True)
    size = views.drawn_size(page.size_points, run.ctx.settings.ocr.view_dpi)
    return _row(run, page.index, page.text, None, "text_layer", "pdfium", None, size, name,
                page.tables, {**page.info, "size_points": [round(v, 1) for v in page.size_points]})


def _ocr_row(run: _Run, page: sources.ImagePage) -> dict[str, Any]:
    settings = run.ctx.settings.ocr
    prepared = read.prepare(page.image, page.dpi, settings, run.steps)
    page.image = prepared.image  # the original pixels can go
    engine = run.ocr_engine()
    found = read.read(engine, prepared, settings, run.steps)
    info = {**page.info, **prepared.info, "source": page.source, "ocr_seconds": round(found.seconds, 3),
            "dpi_in": [round(page.dpi[0], 1), round(page.dpi[1], 1)]}
    if found.rotated:
        info["rotated_degrees"] = found.rotated
    if found.timed_out:
        info["timed_out"] = True
        run.warnings.append(
            f"page {page.index + 1} took longer than {settings.page_timeout_seconds:g} s to read and was left empty")
    name, size = views.save_view(found.image, (prepared.dpi, prepared.dpi), settings.view_dpi, run.folder,
                                 page.index + 1)
    info["view_bytes"] = size
    method = "empty" if found.timed_out else "ocr"
    return _row(run, page.index, found.text, found.confidence, method, engine.name, prepared.dpi,
                found.image.size, name, None, info)


def _row(run: _Run, index: int, text: str, confidence: float | None, method: str, engine: str, dpi: int | None,
         size: tuple[int, int], image: str, tables: list[Any] | None, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "document_id": run.doc.id, "page_no": index + 1, "text": text.replace("\x00", ""),
        "confidence": confidence, "method": method, "engine": engine, "dpi": dpi,
        "width": size[0], "height": size[1], "image": image, "tables": tables, "info": info,
    }


def _flags(run: _Run) -> dict[str, Any]:
    flags: dict[str, Any] = dict(run.doc.flags)
    ocr = [r for r in run.rows if r["method"] != "text_layer"]
    flags["ocr_pages"] = len(ocr)
    low = [r["page_no"] for r in ocr if r["confidence"] is not None and r["confidence"] < LOW_CONFIDENCE_FLAG]
    blank = [r["page_no"] for r in run.rows if sum(ch.isalnum() for ch in r["text"]) < BLANK_CHARS]
    for key, value in (("low_confidence_pages", low), ("blank_pages", blank),
                       ("timed_out_pages", [r["page_no"] for r in ocr if r["method"] == "empty"])):
        if value:
            flags[key] = value
        else:
            flags.pop(key, None)
    return flags


def _summary(run: _Run, seconds: float) -> dict[str, Any]:
    ocr = run.ctx.settings.ocr
    engine = run.engine
    return {
        "engine": engine.name if engine else None,
        "engine_version": engine.version() if engine else None,
        "versions": versions.library_versions(ocr_loaded=engine is not None),
        "options": {"languages": list(ocr.languages), "min_text_chars": ocr.min_text_chars,
                    "render_dpi": ocr.render_dpi, "view_dpi": ocr.view_dpi,
                    "page_timeout_seconds": ocr.page_timeout_seconds,
                    "max_deskew_degrees": ocr.max_deskew_degrees, "steps": _steps(run.steps)},
        "page_count": len(run.rows),
        "methods": _count(r["method"] for r in run.rows),
        "pages": run.timings,
        "seconds": round(seconds, 3),
    }


def _steps(steps: read.Steps) -> list[str]:
    return [name for name in ("square", "grey", "limit", "deskew", "orientation") if getattr(steps, name)]


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _result(run: _Run, seconds: float) -> StageResult:
    return StageResult(
        state=State.extracted,
        summary=_summary(run, seconds),
        updates={"page_count": len(run.rows), "flags": _flags(run)},
        record=functools.partial(write_pages, run.doc.id, tuple(run.rows)),
        warnings=tuple(run.warnings),
    )


def write_pages(doc_id: int, rows: tuple[Mapping[str, Any], ...], conn: Connection) -> None:
    """Replace the document's pages (idempotent: a second run writes the same rows)."""
    conn.execute(pages.delete().where(pages.c.document_id == doc_id))
    if rows:
        conn.execute(pages.insert(), [dict(r) for r in rows])


extract_stage = ExtractStage()
