"""Page images kept for viewing: greyscale WebP at settings.ocr.view_dpi.

Measured on a generated 300 dpi scan and a fine fax at 110 dpi (bench figures in
the OCR room's report): WebP q60 51-56 KB in 60-90 ms; 16-grey PNG 66-151 KB;
8-bit PNG 126-458 KB; JPEG q70 91-110 KB with ringing around text. WebP is
the smallest that still reads cleanly, and every current browser shows it.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

VIEW_FORMAT = "WEBP"
VIEW_SUFFIX = ".webp"
VIEW_QUALITY = 60


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
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    # method 2: 56 ms a page against 92 ms for the default 4, within 1% of its size (12 pages here).
    view_image(image, dpi, view_dpi).save(tmp, VIEW_FORMAT, quality=VIEW_QUALITY, method=2)
    os.replace(tmp, final)
    return name, final.stat().st_size
