"""The OCR engine seam: a Protocol and an explicit registry of engines by name.

The configured name (`ocr.engine`, default "tesseract") selects the engine. One
instance per process and configuration is created on first use and reused.
Tests register engines that crash or hang to prove the failure paths.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from chartdesk.config import OcrSettings
from chartdesk.errors import ConfigError


@dataclass(frozen=True, slots=True)
class OcrText:
    """What an engine read on one page image."""

    text: str
    confidence: float | None  # mean word confidence 0..100; None when no words
    seconds: float
    timed_out: bool = False  # the engine gave up at its deadline (a soft failure)


class OcrEngine(Protocol):
    name: str

    def version(self) -> str:
        """Engine and library versions, for provenance."""
        ...

    def recognize(self, image: Image.Image, *, dpi: int, timeout_seconds: float) -> OcrText:
        """Read one page image whose resolution is `dpi`; give up after `timeout_seconds`."""
        ...

    def orientation(self, image: Image.Image, *, dpi: int) -> int | None:
        """Clockwise degrees (0, 90, 180, 270) the page content is rotated, or None when unsure."""
        ...


EngineFactory = Callable[[OcrSettings], OcrEngine]

def _tesseract(settings: OcrSettings) -> OcrEngine:
    from chartdesk.ocr.tesseract import TesseractEngine  # loads tesserocr only when first used

    return TesseractEngine(settings)


# The built-in engines, by the name `ocr.engine` selects.
BUILTIN_ENGINES: dict[str, EngineFactory] = {"tesseract": _tesseract}

_factories: dict[str, EngineFactory] = dict(BUILTIN_ENGINES)
_instances: dict[tuple[str, str], OcrEngine] = {}
_lock = threading.Lock()


def register_engine(name: str, factory: EngineFactory, *, replace: bool = False) -> None:
    """Make an engine selectable as `ocr.engine = name`."""
    with _lock:
        if name in _factories and not replace:
            raise ValueError(f"an OCR engine named {name!r} is already registered")
        _factories[name] = factory
        for key in [k for k in _instances if k[0] == name]:
            del _instances[key]


def unregister_engine(name: str) -> None:
    with _lock:
        _factories.pop(name, None)
        for key in [k for k in _instances if k[0] == name]:
            del _instances[key]


def engine_names() -> tuple[str, ...]:
    return tuple(_factories)


def get_engine(settings: OcrSettings) -> OcrEngine:
    """The engine `settings.engine` names, created once per process and configuration."""
    key = (settings.engine, settings.model_dump_json())
    with _lock:
        if key not in _instances:
            factory = _factories.get(settings.engine)
            if factory is None:
                raise ConfigError(
                    f"ocr.engine is {settings.engine!r}, which is not an OCR engine of this build",
                    remedy="set ocr.engine to one of: " + ", ".join(sorted(_factories)),
                )
            _instances[key] = factory(settings)
        return _instances[key]


def discard_engine(settings: OcrSettings) -> None:
    """Forget this process's instance (after it hung), so the next page gets a fresh one."""
    with _lock:
        _instances.pop((settings.engine, settings.model_dump_json()), None)
