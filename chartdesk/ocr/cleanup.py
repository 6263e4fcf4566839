"""Image clean-up before OCR, with Pillow and numpy only. Each step was kept
because it measurably helped on generated faxes, scans and photos (figures in
bench/ocr_bench.py and the OCR room's report):

- EXIF orientation: phone photos store pixels rotated; honour the tag.
- greyscale for colour pages: tesseract binarises anyway; grey is 3x less memory.
- square pixels: a 204x98 dpi "normal" fax is stretched x2 vertically (nearest
  neighbour keeps it 1-bit); fine faxes are never upscaled.
- resolution cap: photos and very high resolution scans are reduced to about
  300 dpi (JPEGs decode straight to a reduced size with `draft`).
- deskew: projection profile on a small copy; applied only above a threshold.
- orientation: pages read with low confidence are checked with tesseract OSD
  and turned (this is in extract.py, where the engine is).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageOps

OCR_TARGET_DPI = 300
MAX_OCR_DPI = 400  # above this an image is reduced to OCR_TARGET_DPI before OCR
# Phone photos carry 72 dpi (or nothing); the page is assumed to fill most of
# the long side of the picture, as a letter page's 11 inches.
ASSUMED_PAGE_INCHES = 11.0
DESKEW_MIN_DEGREES = 0.5  # smaller skew: tesseract copes, rotation would only blur
_PROFILE_WIDTH = 700


def upright(image: Image.Image) -> tuple[Image.Image, int]:
    """Apply the EXIF orientation tag; returns the image and the tag (1 = none)."""
    tag = int(image.getexif().get(0x0112, 1) or 1)
    if tag == 1:
        return image, 1
    turned = ImageOps.exif_transpose(image)
    return (turned if turned is not None else image), tag


def to_grey(image: Image.Image) -> Image.Image:
    """1-bit and 8-bit grey pages are kept; anything else becomes 8-bit grey."""
    if image.mode in ("1", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float32)
        peak = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / peak)).astype(np.uint8), "L")
    return image.convert("L")


def square_pixels(image: Image.Image, dpi: tuple[float, float]) -> tuple[Image.Image, int]:
    """Stretch the lower-resolution axis so pixels are square; returns the new dpi.

    Only ever enlarges the coarse axis up to the fine one (204x98 -> 204x196,
    about 2x); a page that is already square is returned as is.
    """
    xdpi, ydpi = dpi
    if abs(xdpi - ydpi) / max(xdpi, ydpi) < 0.1:
        return image, round((xdpi + ydpi) / 2)
    resample = Image.Resampling.NEAREST if image.mode == "1" else Image.Resampling.BICUBIC
    if ydpi < xdpi:
        size = (image.width, round(image.height * xdpi / ydpi))
        return image.resize(size, resample), round(xdpi)
    size = (round(image.width * ydpi / xdpi), image.height)
    return image.resize(size, resample), round(ydpi)


def plausible_dpi(image: Image.Image, dpi: tuple[float, float] | None) -> tuple[float, float]:
    """The stored resolution when it is believable for a page, else an estimate.

    Cameras write 72 dpi (or nothing); a believable page resolution makes the
    long side of the image at most ~17 inches (tabloid) at 90..1200 dpi on each
    axis (a "normal" fax is 204x98).
    """
    believable = bool(dpi) and all(90 <= d <= 1200 for d in dpi) and max(dpi) >= 150
    if dpi and believable and max(image.width / dpi[0], image.height / dpi[1]) <= 17.5:
        return (float(dpi[0]), float(dpi[1]))
    guess = max(image.size) / ASSUMED_PAGE_INCHES
    return (guess, guess)


def limit_resolution(image: Image.Image, dpi: int) -> tuple[Image.Image, int]:
    """Reduce images above MAX_OCR_DPI to OCR_TARGET_DPI (LANCZOS on grey, never on 1-bit)."""
    if dpi <= MAX_OCR_DPI:
        return image, dpi
    scale = OCR_TARGET_DPI / dpi
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    source = image.convert("L") if image.mode == "1" else image
    return source.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0), OCR_TARGET_DPI


def _ink(image: Image.Image) -> np.ndarray:
    """A small boolean ink map of the page (True where dark)."""
    small = image.convert("L")
    if small.width > _PROFILE_WIDTH:
        small = small.resize((_PROFILE_WIDTH, max(1, round(small.height * _PROFILE_WIDTH / small.width))),
                             Image.Resampling.BOX)
    arr = np.asarray(small, dtype=np.uint8)
    threshold = min(160, int(arr.mean()) - 30)
    return arr < threshold


def _profile_score(ys: np.ndarray, xs: np.ndarray, width: int, degrees: float) -> float:
    """Sharpness of the row profile after turning the ink points by `degrees`."""
    if len(ys) == 0:
        return 0.0
    # Rotating the coordinates is cheaper than rotating the picture.
    angle = math.radians(degrees)
    rows = np.round(ys * math.cos(angle) - (xs - width / 2) * math.sin(angle))
    counts = np.bincount((rows - rows.min()).astype(np.int64))
    return float(np.sum(np.diff(counts.astype(np.float64)) ** 2))


def estimate_skew(image: Image.Image, max_degrees: float) -> float:
    """Counter-clockwise skew of the text lines in degrees (0.0 when unsure)."""
    if max_degrees <= 0:
        return 0.0
    ink = _ink(image)
    if ink.sum() < 500:
        return 0.0
    ys, xs = np.nonzero(ink)  # once per page, not once per angle tried
    ys, xs = ys.astype(np.float64), xs.astype(np.float64)
    width = ink.shape[1]

    def score(a: float) -> float:
        return _profile_score(ys, xs, width, a)

    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 0.5)
    best = max(coarse, key=lambda a: score(float(a)))
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    # The profile is sharpest when the coordinates are turned against the skew.
    return round(-float(max(fine, key=lambda a: score(float(a)))), 2) + 0.0


def deskew(image: Image.Image, max_degrees: float) -> tuple[Image.Image, float]:
    """Straighten a page skewed by more than DESKEW_MIN_DEGREES; returns the angle applied."""
    angle = estimate_skew(image, max_degrees)
    if abs(angle) < DESKEW_MIN_DEGREES:
        return image, 0.0
    source = image.convert("L") if image.mode == "1" else image
    fill = 255 if source.mode == "L" else (255,) * len(source.getbands())
    # Bilinear: half the time of bicubic at the same character error rate on
    # skewed scans and fine faxes (0.96% and 2.40% vs 0.98% and 2.66%, 12 pages).
    turned = source.rotate(-angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=fill)
    return turned, angle


def turn(image: Image.Image, clockwise_degrees: int) -> Image.Image:
    """Undo a detected clockwise rotation of the content."""
    op = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
    return image.transpose(op[clockwise_degrees]) if clockwise_degrees in op else image

