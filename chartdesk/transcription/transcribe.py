"""One recording in, one transcript out: decode, window, transcribe, guard, normalise.

The recording streams through in windows of `transcription.window_minutes`, each
cut at the quietest moment near its end, so memory stays bounded for long
dictations and words are not split. Segments arrive lazily from the engine;
`heartbeat` is called as each arrives (and after each window) so the pipeline
lease stays alive and a lost lease stops the work early.

Guards against invented text (Whisper hallucinates on silence and noise):
voice-activity detection on, no conditioning on previous text (both in the
options), and every segment whose no-speech probability exceeds
`no_speech_threshold` is dropped, whatever its text.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chartdesk.config import Settings
from chartdesk.errors import StageError
from chartdesk.transcription.audio import SAMPLE_RATE, DecodeReport, decode_blocks
from chartdesk.transcription.engine import RawSegment, SpeechEngine, SpeechOptions, get_engine
from chartdesk.transcription.spoken import SpokenText, read_spoken

log = logging.getLogger(__name__)

NORMALISER = "spoken-1"  # bump when normalise_spoken changes what it writes
MAX_COMPRESSION_RATIO = 2.4  # above this a segment repeats itself: a known hallucination shape
_CUT_SEARCH_SECONDS = 30.0  # a window is cut at the quietest moment in its last 30 s
_CUT_FRAME_SECONDS = 0.1
# Dictation runs at 2-3 words a second; under 1 word a second of detected speech
# (over at least 5 s) part of what was said is probably missing from the text.
SPARSE_WORDS_PER_SECOND = 1.0
SPARSE_MIN_SPEECH_SECONDS = 5.0
MISSING_WORDS_WARNING = (
    "part of the recording may be missing from the transcript (few words for the speech heard); "
    "listen to the marked parts when reviewing"
)


@dataclass(frozen=True, slots=True)
class Segment:
    """A kept segment, as spoken (not normalised); times from the recording's start."""

    index: int
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    low_confidence: bool


@dataclass(frozen=True, slots=True)
class Transcript:
    """The result of one transcription, with its provenance. `text` is normalised."""

    segments: tuple[Segment, ...]
    spoken: SpokenText
    raw_text: str
    confidence: float | None  # 0..100: duration-weighted mean of exp(avg_logprob)
    audio_seconds: float
    dropped_segments: int
    windows: int
    engine: str
    engine_version: str
    model: str
    options: dict[str, Any]
    timings: dict[str, float]
    warnings: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.spoken.text

    @property
    def low_confidence_count(self) -> int:
        return sum(1 for s in self.segments if s.low_confidence)

    def summary(self) -> dict[str, Any]:
        """Provenance for stage_results: no patient data (no text, no names)."""
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "model": self.model,
            "options": self.options,
            "normaliser": NORMALISER,
            "audio_seconds": round(self.audio_seconds, 3),
            "segments": len(self.segments),
            "dropped_segments": self.dropped_segments,
            "low_confidence_segments": self.low_confidence_count,
            "confidence": None if self.confidence is None else round(self.confidence, 2),
            "windows": self.windows,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


@dataclass(slots=True)
class _Tally:
    kept: list[Segment] = field(default_factory=list)
    dropped: int = 0
    sparse_windows: int = 0
    windows: int = 0
    engine_seconds: float = 0.0


def transcribe_file(
    path: Path,
    media_type: str,
    settings: Settings,
    *,
    heartbeat: Callable[[], None] = lambda: None,
) -> Transcript:
    """Transcribe one recording with the configured engine (loaded once per process)."""
    started = time.perf_counter()
    engine = get_engine(settings.transcription)
    loaded = time.perf_counter()
    options = SpeechOptions.from_settings(settings.transcription)
    report = DecodeReport()
    blocks = decode_blocks(path, media_type, settings, report)
    window = int(settings.transcription.window_minutes * 60 * SAMPLE_RATE)
    tally = _Tally()
    for offset, audio in windows(blocks, window):
        tally.windows += 1
        _transcribe_window(engine, audio, offset, options, settings, tally, heartbeat)
        heartbeat()
    transcribed = time.perf_counter()
    raw_text = " ".join(s.text for s in tally.kept)
    spoken = read_spoken(raw_text)
    timings = {
        "load_seconds": loaded - started,
        "decode_and_transcribe_seconds": transcribed - loaded,
        "engine_seconds": tally.engine_seconds,
        "normalise_seconds": time.perf_counter() - transcribed,
    }
    return Transcript(
        segments=tuple(tally.kept),
        spoken=spoken,
        raw_text=raw_text,
        confidence=mean_confidence(tally.kept),
        audio_seconds=report.decoded_seconds,
        dropped_segments=tally.dropped,
        windows=tally.windows,
        engine=engine.name,
        engine_version=engine.version,
        model=engine.model,
        options=options.as_dict(),
        timings=timings,
        warnings=(*report.warnings, *([MISSING_WORDS_WARNING] if tally.sparse_windows else [])),
    )


def _transcribe_window(
    engine: SpeechEngine,
    audio: np.ndarray,
    offset: float,
    options: SpeechOptions,
    settings: Settings,
    tally: _Tally,
    heartbeat: Callable[[], None],
) -> None:
    t0 = time.perf_counter()
    first = len(tally.kept)
    with _engine_errors(engine):
        run = engine.transcribe(audio, options)
        for raw in run.segments:
            tally.engine_seconds += time.perf_counter() - t0
            if keep_segment(raw, no_speech_threshold=settings.transcription.no_speech_threshold):
                tally.kept.append(_segment(raw, len(tally.kept), offset, settings))
            else:
                tally.dropped += 1
            heartbeat()
            t0 = time.perf_counter()
    tally.engine_seconds += time.perf_counter() - t0
    _check_density(tally, first, run.speech_seconds)


@contextmanager
def _engine_errors(engine: SpeechEngine) -> Iterator[None]:
    """A failure inside the engine becomes a StageError: retried, then parked."""
    try:
        yield
    except (RuntimeError, ValueError, MemoryError) as exc:
        log.warning("speech engine %s failed: %s", engine.name, type(exc).__name__)
        raise StageError(
            f"the speech engine failed while transcribing ({type(exc).__name__})",
            remedy="it will be retried; if it keeps failing, check the model in transcription.model_dir",
        ) from exc


def _check_density(tally: _Tally, first: int, speech_seconds: float) -> None:
    """Whisper sometimes stops early and leaves the rest of a window untranscribed.
    Too few words for the speech heard marks the window's segments for a listen."""
    window = tally.kept[first:]
    words = sum(len(s.text.split()) for s in window)
    if speech_seconds < SPARSE_MIN_SPEECH_SECONDS or words >= SPARSE_WORDS_PER_SECOND * speech_seconds:
        return
    tally.sparse_windows += 1
    tally.kept[first:] = [dataclasses.replace(s, low_confidence=True) for s in window]


def keep_segment(raw: RawSegment, *, no_speech_threshold: float) -> bool:
    """False for segments that are probably not speech (the hallucination guard)."""
    return bool(raw.text.strip()) and raw.no_speech_prob <= no_speech_threshold


def _segment(raw: RawSegment, index: int, offset: float, settings: Settings) -> Segment:
    low = raw.avg_logprob < settings.transcription.low_confidence_logprob or raw.compression_ratio > MAX_COMPRESSION_RATIO
    return Segment(
        index=index,
        start=round(offset + raw.start, 3),
        end=round(offset + raw.end, 3),
        text=raw.text.strip(),
        avg_logprob=raw.avg_logprob,
        no_speech_prob=raw.no_speech_prob,
        low_confidence=low,
    )


def mean_confidence(segments: Iterable[Segment]) -> float | None:
    """Duration-weighted mean of exp(avg_logprob), on the 0..100 scale OCR uses."""
    weight = total = 0.0
    for s in segments:
        span = max(s.end - s.start, 0.01)
        weight += span
        total += span * math.exp(s.avg_logprob)
    return None if weight == 0 else 100.0 * total / weight


def windows(blocks: Iterable[np.ndarray], window: int) -> Iterator[tuple[float, np.ndarray]]:
    """Regroup decoded blocks into windows of about `window` samples, cut where it is quietest.

    Yields (offset in seconds, samples). A recording shorter than one window is
    yielded whole, in one piece.
    """
    held: list[np.ndarray] = []
    size = 0
    offset = 0
    for block in blocks:
        held.append(block)
        size += block.size
        if size < window + int(_CUT_SEARCH_SECONDS * SAMPLE_RATE):
            continue
        buffer = np.concatenate(held)
        while buffer.size >= window + int(_CUT_SEARCH_SECONDS * SAMPLE_RATE):
            cut = quiet_cut(buffer, window)
            yield offset / SAMPLE_RATE, buffer[:cut]
            offset += cut
            buffer = buffer[cut:]
        held, size = [buffer], buffer.size
    if size:
        yield offset / SAMPLE_RATE, np.concatenate(held)


def quiet_cut(buffer: np.ndarray, window: int) -> int:
    """The sample index, in the last stretch before `window`, where the audio is quietest."""
    frame = int(_CUT_FRAME_SECONDS * SAMPLE_RATE)
    lo = max(frame, window - int(_CUT_SEARCH_SECONDS * SAMPLE_RATE))
    region = buffer[lo:window]
    frames = region[: region.size // frame * frame].reshape(-1, frame)
    if frames.shape[0] == 0:
        return window
    energy = np.convolve((frames**2).mean(axis=1), np.ones(5) / 5, mode="same")
    return lo + int(np.argmin(energy)) * frame + frame // 2
