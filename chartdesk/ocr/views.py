"""Page images kept for viewing: greyscale WebP at settings.ocr.view_dpi.

Measured on a generated 300 dpi scan and a fine fax at 110 dpi (bench figures in
the OCR room's report): WebP q60 51-56 KB in 60-90 ms; 16-grey PNG 66-151 KB;
8-bit PNG 126-458 KB; JPEG q70 91-110 KB with ringing around text. WebP is
the smallest that still reads cleanly, and every current browser shows it.

A page read by OCR keeps the image that was read (deskewed, turned upright),
written by the extract stage. A page read from the PDF text layer is drawn from
the original on its first view (`view_file`) and kept beside the others: the
extract stage saves ~70 ms a page, and pdfium draws one page in a few ms.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

from PIL import Image

from chartdesk.ocr import pdf

VIEW_FORMAT = "WEBP"
VIEW_SUFFIX = ".webp"
VIEW_QUALITY = 60
DRAWN_ON_VIEW = frozenset({"text_layer"})  # page methods whose view image is drawn on first view


def view_name(page_no: int) -> str:
    return f"page-{page_no:04d}{VIEW_SUFFIX}"


def view_image(image: Image.Image, dpi: tuple[float, float], view_dpi: int) -> Image.Image:
    """A greyscale copy at `view_dpi` (never enlarged), with square pixels."""
    grey = image if image.mode == "L" else image.convert("L")
    sx, sy = min(1.0, view_dpi / dpi[0]), min(1.0, view_dpi / dpi[1])
    # non-square pixels (204x98 faxes): bring both axes to the same resolution
    target = min(dpi[0] * sx, dpi[1] * sy)
    size = (max(1, round(grey.width * target / dpi[0])), max(1, round(grey.height * target / dpi[1])))
    if size == grey.size:
        return grey
    # BOX (area averaging) for a 2-3x reduction: 13 ms on a 300 dpi page against
    # 44 ms for LANCZOS, and no ringing around letters.
    return grey.resize(size, Image.Resampling.BOX)


def save_view(image: Image.Image, dpi: tuple[float, float], view_dpi: int, folder: Path, page_no: int) -> tuple[str, int]:
    """Write the page's view image atomically; returns its name (relative to `folder`) and size."""
    name = view_name(page_no)
    final = folder / name
    _write(view_image(image, dpi, view_dpi), final)
    return name, final.stat().st_size


def _write(image: Image.Image, final: Path) -> None:
    # a temporary name of this process and thread: concurrent writers of the same
    # page each rename a whole file into place, and a reader never sees half of one
    tmp = final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # method 2: 56 ms a page against 92 ms for the default 4, within 1% of its size (12 pages here).
        image.save(tmp, VIEW_FORMAT, quality=VIEW_QUALITY, method=2)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def drawn_size(size_points: tuple[float, float], view_dpi: int) -> tuple[int, int]:
    """The pixel size of a page drawn at `view_dpi` (as pdfium sizes its bitmap)."""
    scale = view_dpi / 72
    return max(1, math.ceil(size_points[0] * scale)), max(1, math.ceil(size_points[1] * scale))


def view_file(path: Path, *, method: str, original: Path, page_index: int, view_dpi: int) -> Path | None:
    """The page's view image at `path`, drawn now from the original PDF if the page
    is one whose image is drawn on first view and it is not there yet; None when
    there is no image to show (an OCR page's image is gone, the original is gone).

    Safe under concurrent first views: each draws and renames a whole file into
    place, and pdfium is called under its lock."""
    if path.is_file():
        return path
    if method not in DRAWN_ON_VIEW or not original.is_file():
        return None
    image = pdf.render_page(original, page_index, view_dpi)
    if image is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(image, path)
    return path
