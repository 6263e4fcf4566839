"""Image files (TIFF, PNG, JPEG, HEIC) as pages, one at a time.

A multi-page TIFF is read frame by frame (never all pages at once). JPEGs far
above the OCR resolution are decoded straight to a smaller size (`draft`), so a
48-megapixel photo never exists at full size in memory.

Degrade-or-fail policy: a file Pillow cannot decode (truncated data that only
shows when the pixels are read) is `CorruptFileError`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from chartdesk.errors import CorruptFileError, DecompressionBombError
from chartdesk.ocr import cleanup

CORRUPT_REMEDY = "the picture may have been cut short while copying; scan or export it again and drop the new file"
BOMB_REMEDY = "scan the page again at 300 dpi, or ask IT to raise ingest.max_image_pixels"

_heif_lock = threading.Lock()
_heif_ready = False


def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (once per process, on first need)."""
    global _heif_ready
    with _heif_lock:
        if not _heif_ready:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_ready = True


@dataclass(frozen=True, slots=True)
class SourcePage:
    index: int  # 0-based
    image: Image.Image
    dpi: tuple[float, float]  # as stored, or estimated when the file's is not believable
    stored_dpi: tuple[float, float] | None
    exif_orientation: int
    reduced: float  # 1.0, or the factor a JPEG was decoded down by


def open_image(path: Path) -> Image.Image:
    if path.suffix.lower() in (".heic", ".heif", ".hif") or _is_heif(path):
        register_heif()
    try:
        return Image.open(path)
    except Image.DecompressionBombError as err:
        raise DecompressionBombError("this picture is far too large to open safely", remedy=BOMB_REMEDY) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise CorruptFileError("this picture is damaged and cannot be read", remedy=CORRUPT_REMEDY) from err


def _is_heif(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(12)
    return head[4:8] == b"ftyp"


def stored_dpi(image: Image.Image) -> tuple[float, float] | None:
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, IndexError):
        return None
    return (x, y) if x > 0 and y > 0 else None


def iter_pages(path: Path, max_pixels: int) -> Iterator[SourcePage]:
    """Each page (TIFF frame) of an image file, decoded one at a time."""
    with open_image(path) as image:
        frames = getattr(image, "n_frames", 1)
        for index in range(frames):
            if index:
                image.seek(index)
            yield _decode(image, index, max_pixels)


def _decode(image: Image.Image, index: int, max_pixels: int) -> SourcePage:
    width, height = image.size
    if width * height > max_pixels:
        raise DecompressionBombError(
            f"page {index + 1} is {width}x{height} pixels, over the limit of {max_pixels:,}", remedy=BOMB_REMEDY
        )
    tag = int(image.getexif().get(0x0112, 1) or 1)
    stored = stored_dpi(image)
    dpi = cleanup.plausible_dpi(image, stored)
    reduced = _draft(image, dpi)
    try:
        image.load()
        page = image.copy()
    except (OSError, SyntaxError, ValueError) as err:
        raise CorruptFileError(f"page {index + 1} of this picture is damaged", remedy=CORRUPT_REMEDY) from err
    if reduced != 1.0:
        dpi = (dpi[0] * page.width / width, dpi[1] * page.height / height)
    return SourcePage(index, page, dpi, stored, tag, round(width / page.width, 3))


def _draft(image: Image.Image, dpi: tuple[float, float]) -> float:
    """Ask the JPEG decoder for a smaller picture when the page is far above OCR resolution."""
    if image.format != "JPEG" or min(dpi) <= cleanup.MAX_OCR_DPI:
        return 1.0
    scale = cleanup.OCR_TARGET_DPI / min(dpi)
    mode = "L" if image.mode in ("L", "RGB", "CMYK", "YCbCr") else image.mode
    image.draft(mode, (round(image.width * scale), round(image.height * scale)))
    return scale
