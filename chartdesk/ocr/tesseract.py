"""tesseract in process, through tesserocr: the one wrapper around the tool.

OMP_THREAD_LIMIT is set before the library loads (unless the operator set it):
with OpenMP threads tesseract ran 4.7x slower on 2 shared cores. One API object
per process, created on first use and reused. The DPI is always passed (a PIL
image reaches tesseract without it).

Degrade-or-fail policy: a page that reaches its deadline inside tesseract is a
soft failure (`OcrText(timed_out=True)`, the stage keeps an empty page and a
warning); missing language data is `ToolMissingError`; anything else tesseract
raises becomes `StageError` (retried, then the document is parked).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import logging  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import tesserocr  # noqa: E402
from PIL import Image  # noqa: E402

from chartdesk.config import OcrSettings  # noqa: E402
from chartdesk.errors import StageError, ToolMissingError  # noqa: E402
from chartdesk.ocr.engine import OcrText  # noqa: E402

log = logging.getLogger(__name__)

DEBIAN_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
# OSD needs only a coarse picture of the page: half resolution costs ~25% less
# and gave the same answers on the generated scans.
OSD_MIN_CONFIDENCE = 2.0


def tessdata_dir(settings: OcrSettings) -> Path:
    """settings.ocr.tessdata_dir, else TESSDATA_PREFIX, else the Debian location."""
    if settings.tessdata_dir:
        return settings.tessdata_dir
    env = os.environ.get("TESSDATA_PREFIX")
    return Path(env) if env else DEBIAN_TESSDATA


def library_versions() -> dict[str, str]:
    first = tesserocr.tesseract_version().splitlines()
    return {
        "tesseract": first[0].split()[-1] if first else "",
        "leptonica": first[1].strip().split("-")[-1] if len(first) > 1 else "",
        "tesserocr": getattr(tesserocr, "__version__", ""),
        "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT", ""),
    }


class TesseractEngine:
    name = "tesseract"

    def __init__(self, settings: OcrSettings) -> None:
        self.tessdata = tessdata_dir(settings)
        self.languages = settings.language_string
        self._api: tesserocr.PyTessBaseAPI | None = None
        self._osd: tesserocr.PyTessBaseAPI | None = None
        self._lock = threading.Lock()

    def version(self) -> str:
        v = library_versions()
        return f"tesseract {v['tesseract']} (tesserocr {v['tesserocr']}, leptonica {v['leptonica']})"

    def _check_data(self, languages: str) -> None:
        for lang in languages.split("+"):
            if not (self.tessdata / f"{lang}.traineddata").is_file():
                raise ToolMissingError(
                    f"tesseract language data {lang}.traineddata is not in {self.tessdata}",
                    remedy="install tesseract-ocr-" + lang + " or set ocr.tessdata_dir",
                )

    def _main_api(self) -> tesserocr.PyTessBaseAPI:
        if self._api is None:
            self._check_data(self.languages)
            self._api = tesserocr.PyTessBaseAPI(
                path=str(self.tessdata) + os.sep, lang=self.languages,
                psm=tesserocr.PSM.AUTO, oem=tesserocr.OEM.LSTM_ONLY,
            )
        return self._api

    def _osd_api(self) -> tesserocr.PyTessBaseAPI:
        if self._osd is None:
            self._check_data("osd")
            self._osd = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang="osd",
                                                psm=tesserocr.PSM.OSD_ONLY)
        return self._osd

    def recognize(self, image: Image.Image, *, dpi: int, timeout_seconds: float) -> OcrText:
        started = time.perf_counter()
        with self._lock:
            api = self._main_api()
            try:
                _set_image(api, image)
                api.SetSourceResolution(int(dpi))
                if not api.Recognize(timeout=max(1, int(timeout_seconds * 1000))):
                    api.Clear()
                    return OcrText("", None, time.perf_counter() - started, timed_out=True)
                text = api.GetUTF8Text()
                words = api.AllWordConfidences()
            except RuntimeError as err:
                raise StageError(f"tesseract failed on a page: {err}") from err
            finally:
                api.Clear()
        confidence = round(sum(words) / len(words), 2) if words else None
        return OcrText(text, confidence, time.perf_counter() - started)

    def orientation(self, image: Image.Image, *, dpi: int) -> int | None:
        small = image.reduce(2) if min(image.size) > 1200 else image
        with self._lock:
            api = self._osd_api()
            try:
                _set_image(api, small)
                api.SetSourceResolution(max(70, int(dpi * small.width / image.width)))
                found = api.DetectOrientationScript()
            except RuntimeError:
                found = None
            finally:
                api.Clear()
        if not found or found.get("orient_conf", 0) < OSD_MIN_CONFIDENCE:
            return None
        return int(found["orient_deg"])

    def close(self) -> None:
        for api in (self._api, self._osd):
            if api is not None:
                api.End()
        self._api = self._osd = None


_BYTES_PER_PIXEL = {"L": 1, "RGB": 3, "RGBA": 4}


def _set_image(api: tesserocr.PyTessBaseAPI, image: Image.Image) -> None:
    """Hand the pixels over as raw bytes. tesserocr's SetImage(PIL) encodes a grey
    or colour page to an image file in memory first: about 1 s on a 300 dpi page,
    more than the recognition itself (12 generated pages here: grey scans 1.6-2.1 s
    with SetImage, 0.4-1.1 s with the raw bytes). 1-bit faxes go as they are (that
    path is as fast as reading the file)."""
    bpp = _BYTES_PER_PIXEL.get(image.mode)
    if bpp is None:
        api.SetImage(image)
        return
    api.SetImageBytes(image.tobytes(), image.width, image.height, bpp, image.width * bpp)
