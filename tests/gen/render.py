"""Files as a medical office receives them, each with its ground truth.

- `born_digital_pdf`: reportlab PDF with a real text layer (lab grids drawn with ruling lines).
- `scan`: 300 dpi greyscale or colour pages, small skew, noise, slight blur, optionally a page
  upside down; written as an image-only PDF (as scanners write them), multi-page TIFF, PNG or JPEG.
- `fax`: 1-bit pages at 204x196 dpi ("fine") or 204x98 dpi ("normal", non-square pixels) with
  a fax header line, as a multi-page G3 or G4 TIFF with the right resolution tags.
- `scanner_pdf`: image-only PDF, one embedded image per page at its own resolution (JPEG for
  grey/colour, CCITT G4 for 1-bit pages, as fax servers write them).
- `phone_photo`: a page photographed by a phone: perspective, uneven light, a desk behind it,
  the pixels stored rotated with an EXIF orientation tag; 12 MP or 48 MP; JPEG, HEIC or PNG.
- `mixed_pdf`: born-digital pages with scanned pages in between.

Every function is deterministic from its seed and returns a `Built`: the path, its media type,
the document, and the ground-truth text of each page in file order.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.gen.documents import Document
from tests.gen.layout import PAGE_H, PAGE_W, draw_pdf, layout

MONO_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FAX_WIDTH = 1728  # pixels across an ITU-T T.4 page at 8 dots/mm


@dataclass(frozen=True, slots=True)
class Page:
    """One page image with what is on it."""

    image: Image.Image
    dpi: tuple[float, float]
    truth: str
    rotation: int = 0  # 180 when the page was fed upside down
    skew: float = 0.0  # degrees, counter-clockwise


@dataclass(frozen=True, slots=True)
class Built:
    path: Path
    media_type: str
    document: Document
    truths: tuple[str, ...]  # ground truth of each page, in file order
    dpi: tuple[float, float] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def page_count(self) -> int:
        return len(self.truths)

    @property
    def text(self) -> str:
        return "\n".join(self.truths)


# ---------------------------------------------------------------- born digital


def pdf_bytes(doc: Document) -> tuple[bytes, list[str]]:
    pages = layout(doc)
    return draw_pdf(pages), [p.text for p in pages]


def born_digital_pdf(doc: Document, path: Path) -> Built:
    data, truths = pdf_bytes(doc)
    path.write_bytes(data)
    return Built(path, "application/pdf", doc, tuple(truths), None, {"kind": "born_digital"})


def rasterise(pdf: bytes, dpi: float, *, colour: bool = False) -> Iterator[Image.Image]:
    """Render each page of a PDF at `dpi` (greyscale unless `colour`)."""
    document = pdfium.PdfDocument(pdf)
    try:
        for i in range(len(document)):
            page = document[i]
            bitmap = page.render(scale=dpi / 72, grayscale=not colour)
            image = bitmap.to_pil()
            yield image.convert("RGB" if colour else "L")
            page.close()
    finally:
        document.close()


# ---------------------------------------------------------------- degradations


def _skew(image: Image.Image, degrees: float) -> Image.Image:
    fill = 255 if image.mode in ("L", "1") else (255, 255, 255)
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=fill)


def _noise(image: Image.Image, rng: np.random.Generator, sigma: float) -> Image.Image:
    if sigma <= 0:
        return image
    arr = np.asarray(image, dtype=np.int16)
    field = rng.normal(0, sigma, (image.height, image.width)).astype(np.int16)
    arr = arr + (field[:, :, None] if arr.ndim == 3 else field)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), image.mode)


def _paper(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Tint a colour scan like off-white paper under a scanner lamp."""
    tint = np.array([rng.integers(238, 252), rng.integers(234, 248), rng.integers(220, 240)], dtype=np.float32)
    arr = np.asarray(image, dtype=np.float32) * (tint / 255.0)
    return Image.fromarray(arr.astype(np.uint8), "RGB")


def degrade(image: Image.Image, *, seed: int, skew: float, noise: float, blur: float,
            upside_down: bool = False) -> Image.Image:
    rng = np.random.default_rng(seed)
    if image.mode == "RGB":
        image = _paper(image, rng)
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if skew:
        image = _skew(image, skew)
    image = _noise(image, rng, noise)
    if upside_down:
        image = image.transpose(Image.Transpose.ROTATE_180)
    return image


# ---------------------------------------------------------------- scans


def scan_pages(doc: Document, *, seed: int = 0, dpi: int = 300, colour: bool = False,
               skew: tuple[float, float] = (0.5, 4.0), noise: float = 5.0, blur: float = 0.6,
               upside_down: Sequence[int] = ()) -> list[Page]:
    """Pages as a flatbed or sheet-fed scanner delivers them (0-based `upside_down` indexes)."""
    rng = random.Random(f"scan-{seed}")
    data, truths = pdf_bytes(doc)
    pages = []
    for i, (image, truth) in enumerate(zip(rasterise(data, dpi, colour=colour), truths, strict=True)):
        angle = rng.uniform(*skew) * rng.choice((-1, 1)) if skew[1] > 0 else 0.0
        flipped = i in upside_down
        image = degrade(image, seed=seed * 1000 + i, skew=angle, noise=noise, blur=blur, upside_down=flipped)
        pages.append(Page(image, (dpi, dpi), truth, 180 if flipped else 0, angle))
    return pages


def scan(doc: Document, path: Path, *, fmt: str = "pdf", seed: int = 0, **options: Any) -> Built:
    """Scan `doc` and write it as `fmt`: pdf (image-only), tiff, png or jpeg (single page)."""
    pages = scan_pages(doc, seed=seed, **options)
    if fmt in ("png", "jpeg"):
        pages = pages[:1]
    media = write_pages(pages, path, fmt)
    return Built(path, media, doc, tuple(p.truth for p in pages), pages[0].dpi,
                 {"kind": "scan", "fmt": fmt, "skew": [p.skew for p in pages],
                  "rotation": [p.rotation for p in pages], **options})


def write_pages(pages: Sequence[Page], path: Path, fmt: str, *, compression: str | None = None) -> str:
    """Write page images to one file; returns its media type."""
    first, rest = pages[0], [p.image for p in pages[1:]]
    if fmt == "pdf":
        scanner_pdf(pages, path)
        return "application/pdf"
    if fmt == "tiff":
        default = "group4" if first.image.mode == "1" else "jpeg"
        first.image.save(path, "TIFF", save_all=True, append_images=rest, dpi=first.dpi,
                         compression=compression or default)
        return "image/tiff"
    if fmt == "png":
        first.image.save(path, "PNG", dpi=first.dpi)
        return "image/png"
    if fmt == "jpeg":
        first.image.save(path, "JPEG", dpi=tuple(int(d) for d in first.dpi), quality=88)
        return "image/jpeg"
    raise ValueError(f"unknown format {fmt!r}")


def scanner_pdf(pages: Sequence[Page], path: Path) -> Path:
    """An image-only PDF: each page one embedded image at its own resolution.

    Grey and colour pages are embedded as JPEG (DCTDecode), 1-bit pages as CCITT G4
    (CCITTFaxDecode), as scanners and fax servers write them. Page size follows the
    image size and resolution.
    """
    first = pages[0]
    first.image.save(path, "PDF", save_all=True, append_images=[p.image for p in pages[1:]],
                     dpi=first.dpi, title="", creationDate="", modDate="", producer="scanner")
    return path


# ---------------------------------------------------------------- fax


def _fax_header(image: Image.Image, text: str, size: int) -> None:
    font = ImageFont.truetype(MONO_FONT, size)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, image.width, size + 14), fill=255)
    draw.text((12, 6), text, fill=0, font=font)


def _fit_width(image: Image.Image, width: int) -> Image.Image:
    if image.width == width:
        return image
    canvas = Image.new("L", (width, image.height), 255)
    canvas.paste(image.crop((0, 0, min(width, image.width), image.height)), ((width - min(width, image.width)) // 2, 0))
    return canvas


def fax_header_text(doc: Document, page: int, pages: int) -> str:
    sender = doc.clinician.practice.fax
    when = f"{doc.date.isoformat()} {8 + doc.seed % 9:02d}:{(doc.seed * 7) % 60:02d}"
    return f"FROM: {sender}   {doc.clinician.practice.name.upper()[:24]}   PAGE {page}/{pages}   {when}"


def fax_pages(doc: Document, *, mode: str = "fine", seed: int = 0, skew: float = 0.6,
              speckle: float = 0.0004, with_header: bool = True) -> list[Page]:
    """1-bit pages at 204x196 ("fine") or 204x98 ("normal") dpi with a fax header line."""
    ydpi = {"fine": 196, "normal": 98}[mode]
    rng = np.random.default_rng(seed)
    data, truths = pdf_bytes(doc)
    pages = []
    for i, (image, truth) in enumerate(zip(rasterise(data, 204), truths, strict=True)):
        angle = float(rng.uniform(-skew, skew)) if skew else 0.0
        image = _fit_width(_skew(image, angle), FAX_WIDTH)
        header = fax_header_text(doc, i + 1, len(truths))
        if with_header:
            _fax_header(image, header, 22)
            truth = f"{header}\n{truth}"
        if ydpi != 204:
            image = image.resize((image.width, round(image.height * ydpi / 204)), Image.Resampling.BOX)
        arr = np.asarray(image, dtype=np.int16) + rng.normal(0, 18, (image.height, image.width)).astype(np.int16)
        bits = arr > 150
        flips = rng.random(bits.shape) < speckle
        bits = np.where(flips, ~bits, bits)
        pages.append(Page(Image.fromarray(bits).convert("1"), (204, ydpi), truth, 0, angle))
    return pages


def fax(doc: Document, path: Path, *, mode: str = "fine", compression: str = "group4", seed: int = 0,
        fmt: str = "tiff", **options: Any) -> Built:
    """A received fax as a multi-page TIFF (G3 or G4) or an image-only PDF (fax server)."""
    pages = fax_pages(doc, mode=mode, seed=seed, **options)
    media = write_pages(pages, path, fmt, compression=compression)
    return Built(path, media, doc, tuple(p.truth for p in pages), pages[0].dpi,
                 {"kind": "fax", "mode": mode, "compression": compression if fmt == "tiff" else "ccitt_g4",
                  "fmt": fmt, **options})


# ---------------------------------------------------------------- phone photos

PHOTO_SIZES = {12: (4032, 3024), 48: (8064, 6048)}
# EXIF orientation -> the transpose that turns the displayed picture into the stored pixels.
_STORE_AS = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def _perspective_coeffs(dst: Sequence[tuple[float, float]], src: Sequence[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE): output point -> input point."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for pt in src for c in pt], dtype=np.float64)
    return list(np.linalg.solve(a, b))


def _background(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    small = (size[0] // 32, size[1] // 32)
    base = np.array([rng.integers(90, 150), rng.integers(60, 110), rng.integers(30, 80)], dtype=np.float32)
    grain = rng.normal(0, 12, (small[1], small[0], 1)).astype(np.float32)
    arr = np.clip(base + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB").resize(size, Image.Resampling.BILINEAR)


def _lighting(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """A smooth shading map (0..255) darker towards one corner, as under a desk lamp."""
    w, h = size[0] // 16, size[1] // 16
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.5) * h
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / math.hypot(w, h)
    shade = 1.0 - rng.uniform(0.25, 0.45) * dist
    return Image.fromarray((np.clip(shade, 0, 1) * 255).astype(np.uint8), "L").resize(size, Image.Resampling.BILINEAR)


def _shade(photo: Image.Image, light: Image.Image) -> Image.Image:
    shade = np.asarray(light, dtype=np.uint16)
    bands = [Image.fromarray((np.asarray(b, dtype=np.uint16) * shade // 255).astype(np.uint8)) for b in photo.split()]
    return Image.merge("RGB", bands)


def photo_image(doc: Document, *, seed: int = 0, megapixels: int = 12) -> tuple[Image.Image, str]:
    """The displayed (upright, portrait) photo of the first page, and its ground truth."""
    rng = np.random.default_rng(seed)
    long_side, short_side = PHOTO_SIZES[megapixels]
    size = (short_side, long_side)  # portrait as displayed
    data, truths = pdf_bytes(doc)
    page_h = long_side * rng.uniform(0.78, 0.86)
    dpi = page_h / (PAGE_H / 72)
    page = next(rasterise(data, dpi, colour=True))
    page = _paper(page, rng)
    pw, ph = page.size
    x0, y0 = (size[0] - pw) / 2, (size[1] - ph) / 2
    j = 0.035 * short_side
    quad = [(x0 + rng.uniform(-j, j), y0 + rng.uniform(-j, j)), (x0 + pw + rng.uniform(-j, j), y0 + rng.uniform(-j, j)),
            (x0 + pw + rng.uniform(-j, j), y0 + ph + rng.uniform(-j, j)), (x0 + rng.uniform(-j, j), y0 + ph + rng.uniform(-j, j))]
    coeffs = _perspective_coeffs(quad, [(0, 0), (pw, 0), (pw, ph), (0, ph)])
    warped = page.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", page.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    del page
    photo = _background(size, rng)
    photo.paste(warped, (0, 0), mask)
    del warped, mask
    photo = _shade(photo, _lighting(size, rng))
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))
    return photo, truths[0]


def phone_photo(doc: Document, path: Path, *, seed: int = 0, megapixels: int = 12, orientation: int = 6,
                fmt: str = "jpeg") -> Built:
    """A photo of page 1, pixels stored rotated with EXIF `orientation` (1, 3, 6 or 8)."""
    photo, truth = photo_image(doc, seed=seed, megapixels=megapixels)
    transpose = _STORE_AS[orientation]
    stored = photo.transpose(transpose) if transpose is not None else photo
    del photo
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "Generic"  # Make
    exif[0x0110] = "Phone Camera"  # Model
    media = _save_photo(stored, path, fmt, exif)
    return Built(path, media, doc, (truth,), None,
                 {"kind": "photo", "megapixels": megapixels, "orientation": orientation, "fmt": fmt,
                  "stored_size": stored.size})


def _save_photo(image: Image.Image, path: Path, fmt: str, exif: Image.Exif) -> str:
    if fmt == "jpeg":
        image.save(path, "JPEG", quality=88, exif=exif.tobytes())
        return "image/jpeg"
    if fmt == "png":
        image.save(path, "PNG", exif=exif.tobytes())
        return "image/png"
    if fmt == "heic":
        import pillow_heif

        heif = pillow_heif.from_pillow(image)
        heif.save(path, quality=70, exif=exif.tobytes())
        return "image/heic"
    raise ValueError(f"unknown photo format {fmt!r}")


# ---------------------------------------------------------------- mixed


def mixed_pdf(doc: Document, path: Path, *, seed: int = 0, scanned: Sequence[int] = (1,)) -> Built:
    """Born-digital pages with the pages in `scanned` (0-based) replaced by scanned images."""
    from pypdf import PdfReader, PdfWriter

    data, truths = pdf_bytes(doc)
    scans = {i: p for i, p in enumerate(scan_pages(doc, seed=seed)) if i in scanned}
    writer = PdfWriter()
    digital = PdfReader(io.BytesIO(data))
    for i, page in enumerate(digital.pages):
        if i in scans:
            buf = io.BytesIO()
            scans[i].image.save(buf, "PDF", dpi=scans[i].dpi, title="", creationDate="", modDate="")
            writer.add_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
        else:
            writer.add_page(page)
    with path.open("wb") as out:
        writer.write(out)
    return Built(path, "application/pdf", doc, tuple(truths), None,
                 {"kind": "mixed", "scanned_pages": sorted(scans)})


def page_size_points() -> tuple[float, float]:
    return PAGE_W, PAGE_H
