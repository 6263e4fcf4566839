"""The quick look at a PDF or image before it is stored (called by the watcher).

Headers and structure only, never pixels: page count, the largest page and
embedded image from their dictionaries and headers, encryption, JavaScript and
attachments. Memory stays bounded by the file's structure (pdfium's cross-
reference table and page objects; image headers and TIFF directories), never by
its pixel count: a PNG whose header claims 60000x60000 is refused from the
header. Truncated image data that only shows when decoding is found by the
extract stage instead (it raises CorruptFileError too).
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2.raw as pdfium_c
from PIL import Image

from chartdesk.config import Settings
from chartdesk.errors import (
    BadInputError,
    CorruptFileError,
    DecompressionBombError,
    EmptyFileError,
    TooManyPagesError,
    UnsupportedTypeError,
)
from chartdesk.ocr import images, pdf

log = logging.getLogger(__name__)

PAGES_REMEDY = "split the document into smaller files, or ask IT to raise ingest.max_pages"
_SCAN_CHUNK = 1 << 20
_JS_MARKERS = (b"/JavaScript", b"/JS ", b"/JS(", b"/JS<", b"/JS\n", b"/JS\r")


@dataclass(frozen=True, slots=True)
class FileFacts:
    media_type: str
    page_count: int
    width: int  # the largest page in pixels: PDF pages at ocr.render_dpi (or their image, if larger)
    height: int
    largest_image_pixels: int  # width x height of the largest image (embedded or the file's own)
    flags: dict[str, Any] = field(default_factory=dict)


def inspect_file(path: Path, media_type: str, settings: Settings) -> FileFacts:
    """Raise a BadInputError subclass if the file cannot be processed; else its facts.

    Whatever a damaged or hostile file makes a decoder raise ends here as a
    CorruptFileError with a reason staff can act on: a decoder's surprise
    (a TypeError deep in a TIFF parser, say) must never escape as a crash.
    """
    try:
        return _inspect(path, media_type, settings)
    except (BadInputError, OSError) as err:
        if isinstance(err, BadInputError) or not _is_decoder_error(err):
            raise
        raise _corrupt(media_type) from err
    except Exception as err:  # noqa: BLE001 - the decoders' contract on hostile input is "anything"
        log.info("inspecting a %s raised %s; treated as damaged", media_type, type(err).__name__)
        raise _corrupt(media_type) from err


def _is_decoder_error(err: OSError) -> bool:
    """An OSError from decoding the bytes, not from reading the disk."""
    return err.errno is None


def _corrupt(media_type: str) -> CorruptFileError:
    kind = {"application/pdf": "PDF"}.get(media_type, "picture")
    return CorruptFileError(f"this {kind} is damaged and cannot be read", remedy=images.CORRUPT_REMEDY)


def _inspect(path: Path, media_type: str, settings: Settings) -> FileFacts:
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", remedy="scan or export the document again")
    Image.MAX_IMAGE_PIXELS = settings.ingest.max_image_pixels
    if media_type == "application/pdf":
        return _inspect_pdf(path, settings)
    if media_type == "image/png":
        return _inspect_png(path, settings)
    if media_type == "image/jpeg":
        return _inspect_jpeg(path, settings)
    if media_type == "image/tiff":
        return _inspect_tiff(path, settings)
    if media_type in ("image/heic", "image/heif"):
        return _inspect_heif(path, media_type, settings)
    raise UnsupportedTypeError(f"files of type {media_type} are not pages chartdesk can read",
                               remedy="save the document as PDF and drop it again")


# ---------------------------------------------------------------- limits


def _check_pages(count: int, settings: Settings) -> None:
    if count == 0:
        raise EmptyFileError("the file has no pages", remedy="scan or export the document again")
    if count > settings.ingest.max_pages:
        raise TooManyPagesError(f"the document has {count} pages, more than the limit of {settings.ingest.max_pages}",
                                remedy=PAGES_REMEDY)


def _check_pixels(width: int, height: int, settings: Settings, what: str = "the picture") -> None:
    limit = settings.ingest.max_image_pixels
    if width * height > limit:
        raise DecompressionBombError(
            f"{what} is {width}x{height} pixels, more than the limit of {limit:,}", remedy=images.BOMB_REMEDY)


# ---------------------------------------------------------------- PDF


def _inspect_pdf(path: Path, settings: Settings) -> FileFacts:
    with pdf.open_pdf(path) as document:
        count = len(document)
        _check_pages(count, settings)
        flags: dict[str, Any] = {}
        if pdfium_c.FPDFDoc_GetJavaScriptActionCount(document.raw) > 0 or _mentions_javascript(path):
            flags["pdf_javascript"] = True
        if document.count_attachments() > 0:
            flags["pdf_embedded_files"] = True
        width = height = largest = 0
        for index in range(count):
            page = document[index]
            try:
                w, h, pixels = _pdf_page_size(page, settings)
            finally:
                page.close()
            if pixels > settings.ingest.max_image_pixels:
                raise DecompressionBombError(
                    f"page {index + 1} holds an image of {pixels:,} pixels, more than the limit of "
                    f"{settings.ingest.max_image_pixels:,}", remedy=images.BOMB_REMEDY)
            largest = max(largest, pixels)
            if w * h > width * height:
                width, height = w, h
    return FileFacts("application/pdf", count, width, height, largest, flags)


def _pdf_page_size(page: Any, settings: Settings) -> tuple[int, int, int]:
    """The page in pixels as the stage will see it, and its largest image's pixel count."""
    from chartdesk.ocr.sources import render_dpi

    points = page.get_size()
    dpi = render_dpi(points, settings)
    width, height = round(points[0] / 72 * dpi), round(points[1] / 72 * dpi)
    largest = 0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        w, h = obj.get_px_size()
        if w * h > largest:
            largest = w * h
            if w * h > width * height:
                width, height = w, h
    return width, height, largest


def _mentions_javascript(path: Path) -> bool:
    """A byte scan for JavaScript actions outside the document name tree (open
    actions, annotations, form fields). Compressed object streams hide some; the
    pdfium count covers the document-level scripts."""
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_SCAN_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _JS_MARKERS):
                return True
            tail = window[-16:]
    return False


# ---------------------------------------------------------------- images

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _inspect_png(path: Path, settings: Settings) -> FileFacts:
    with path.open("rb") as f:
        head = f.read(33)
    if len(head) < 33 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise CorruptFileError("this PNG picture is damaged (no valid header)", remedy=images.CORRUPT_REMEDY)
    width, height = struct.unpack(">II", head[16:24])
    if width == 0 or height == 0:
        raise CorruptFileError("this PNG picture has no pixels", remedy=images.CORRUPT_REMEDY)
    _check_pixels(width, height, settings)
    with images.open_image(path) as image:
        try:
            image.verify()  # chunk structure and checksums, without decompressing
        except (OSError, SyntaxError, ValueError, struct.error) as err:
            raise CorruptFileError("this PNG picture is damaged or cut short", remedy=images.CORRUPT_REMEDY) from err
    return FileFacts("image/png", 1, width, height, width * height, {})


def _inspect_jpeg(path: Path, settings: Settings) -> FileFacts:
    with images.open_image(path) as image:
        width, height = image.size
    _check_pixels(width, height, settings)
    if not _jpeg_has_end(path):
        raise CorruptFileError("this JPEG picture is cut short", remedy=images.CORRUPT_REMEDY)
    return FileFacts("image/jpeg", 1, width, height, width * height, {})


def _jpeg_has_end(path: Path) -> bool:
    """The end-of-image marker in the last 64 KB (cameras may pad after it)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 65536))
        return b"\xff\xd9" in f.read()


def _inspect_tiff(path: Path, settings: Settings) -> FileFacts:
    size = path.stat().st_size
    width = height = count = 0
    with images.open_image(path) as image:
        while True:
            count += 1
            if count > settings.ingest.max_pages:
                raise TooManyPagesError(f"the document has more than {settings.ingest.max_pages} pages, the limit",
                                        remedy=PAGES_REMEDY)
            w, h = image.size
            _check_pixels(w, h, settings, f"page {count}")
            _check_strips(image, size, count)
            if w * h > width * height:
                width, height = w, h
            try:
                image.seek(count)
            except EOFError:
                break
            except (OSError, SyntaxError, ValueError) as err:
                raise CorruptFileError(f"page {count + 1} of this TIFF is damaged",
                                       remedy=images.CORRUPT_REMEDY) from err
    return FileFacts("image/tiff", count, width, height, width * height, {})


def _check_strips(image: Image.Image, file_size: int, page: int) -> None:
    """Every strip or tile of the page lies inside the file (a cut-short TIFF does not)."""
    tags = getattr(image, "tag_v2", {})
    offsets = tags.get(273) or tags.get(324) or ()
    counts = tags.get(279) or tags.get(325) or ()
    if isinstance(offsets, int):
        offsets = (offsets,)
    if isinstance(counts, int):
        counts = (counts,)
    for offset, length in zip(offsets, counts, strict=False):
        if offset + length > file_size:
            raise CorruptFileError(f"page {page} of this TIFF is cut short", remedy=images.CORRUPT_REMEDY)


def _inspect_heif(path: Path, media_type: str, settings: Settings) -> FileFacts:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
        width, height = heif.size
    except (ValueError, RuntimeError, OSError, SyntaxError) as err:
        raise CorruptFileError("this HEIC photo is damaged and cannot be read", remedy=images.CORRUPT_REMEDY) from err
    _check_pixels(width, height, settings)
    return FileFacts(media_type, 1, width, height, width * height, {})
