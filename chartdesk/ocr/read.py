"""One page image to text: clean-up, the engine under a deadline, orientation.

`prepare` applies the clean-up steps that paid on generated faxes, scans and
photos; `read` runs the engine with the page's DPI and, when the page reads
badly, asks the engine which way up it is and reads it again turned.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from chartdesk.config import OcrSettings
from chartdesk.errors import ChartdeskError, StageError, StageTimeoutError
from chartdesk.ocr import cleanup
from chartdesk.ocr.engine import OcrEngine, OcrText, discard_engine

log = logging.getLogger(__name__)

# Upright pages of the generated set read at 85-96 mean word confidence; upside
# down ones at ~33. Below this the page's orientation is checked.
LOW_CONFIDENCE = 60.0
# An engine that does not return this long after its own deadline is hung.
HANG_GRACE_SECONDS = 5.0  # at most the page timeout itself, at least 2 s


@dataclass(frozen=True, slots=True)
class Steps:
    """Which clean-up steps run (all on by default; the bench turns them off one by one)."""

    square: bool = True
    grey: bool = True
    limit: bool = True
    deskew: bool = True
    orientation: bool = True


@dataclass(slots=True)
class Prepared:
    image: Image.Image
    dpi: int
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PageText:
    text: str
    confidence: float | None
    seconds: float
    timed_out: bool
    rotated: int  # clockwise degrees the page was turned to read it
    image: Image.Image  # the image that was read (for the view)


def prepare(image: Image.Image, dpi: tuple[float, float], settings: OcrSettings, steps: Steps) -> Prepared:
    info: dict[str, Any] = {}
    started = time.perf_counter()
    if steps.square:
        before = dpi
        image, square = cleanup.square_pixels(image, dpi)
        if before[0] != before[1] and abs(before[0] - before[1]) / max(before) >= 0.1:
            info["square_pixels"] = f"{before[0]:g}x{before[1]:g}"
    else:
        square = round(dpi[0])
    if steps.grey and image.mode not in ("1", "L"):
        info["grey_from"] = image.mode
        image = cleanup.to_grey(image)
    if steps.limit:
        reduced, new_dpi = cleanup.limit_resolution(image, square)
        if new_dpi != square:
            info["reduced_from_dpi"] = square
        image, square = reduced, new_dpi
    if steps.deskew and settings.max_deskew_degrees > 0:
        image, angle = cleanup.deskew(image, settings.max_deskew_degrees)
        if angle:
            info["deskew_degrees"] = angle
    if image.mode not in ("1", "L", "RGB"):
        image = cleanup.to_grey(image)
    info["prepare_seconds"] = round(time.perf_counter() - started, 3)
    return Prepared(image, int(square), info)


def read(engine: OcrEngine, page: Prepared, settings: OcrSettings, steps: Steps) -> PageText:
    """Read the page; if it reads badly, check its orientation and read it turned."""
    first = recognize(engine, page.image, page.dpi, settings)
    best = PageText(first.text, first.confidence, first.seconds, timed_out=first.timed_out, rotated=0,
                    image=page.image)
    if not steps.orientation or first.timed_out or (first.confidence or 0) >= LOW_CONFIDENCE:
        return best
    started = time.perf_counter()
    # OSD is unsure on pages with little text; then try the usual mistake, a
    # sheet fed upside down, and keep whichever reading is more confident.
    degrees = engine.orientation(page.image, dpi=page.dpi)
    spent = first.seconds + time.perf_counter() - started
    if degrees == 0:
        return PageText(best.text, best.confidence, spent, timed_out=False, rotated=0, image=page.image)
    degrees = degrees or 180
    turned = cleanup.turn(page.image, degrees)
    again = recognize(engine, turned, page.dpi, settings)
    spent += again.seconds
    if (again.confidence or 0) > (first.confidence or 0):
        return PageText(again.text, again.confidence, spent, timed_out=again.timed_out, rotated=degrees,
                        image=turned)
    return PageText(best.text, best.confidence, spent, timed_out=False, rotated=0, image=page.image)


def recognize(engine: OcrEngine, image: Image.Image, dpi: int, settings: OcrSettings) -> OcrText:
    """engine.recognize with a deadline the engine cannot ignore.

    The engine is asked to stop at the page timeout (tesseract does, and gives an
    empty page). One that has not returned HANG_GRACE_SECONDS later is hung: it is
    left behind (its thread cannot be killed; a new engine serves the next page)
    and StageTimeoutError lets the pipeline retry and then park the document.
    """
    timeout = settings.page_timeout_seconds
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            box["result"] = engine.recognize(image, dpi=dpi, timeout_seconds=timeout)
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = err

    worker = threading.Thread(target=call, name="ocr-page", daemon=True)
    worker.start()
    # tesseract notices its deadline only between steps (layout analysis first)
    worker.join(timeout + max(2.0, min(HANG_GRACE_SECONDS, timeout)))
    if worker.is_alive():
        discard_engine(settings)
        log.warning("OCR engine %s did not return within %.0f s; abandoned", engine.name, timeout)
        raise StageTimeoutError(
            f"the OCR engine did not finish a page within {timeout:g} seconds",
            remedy="the document will be retried; if it keeps failing, rescan it at 300 dpi",
        )
    if "error" in box:
        err = box["error"]
        if isinstance(err, ChartdeskError):
            raise err
        raise StageError(f"the OCR engine {engine.name} failed on a page ({type(err).__name__}: {err})") from err
    result: OcrText = box["result"]
    return result
