"""Audio files: the one wrapper around the decoder (PyAV, FFmpeg's libraries).

Policy (STYLE 9): a file that cannot be read, is cut short, damaged beyond use,
empty or longer than `ingest.max_audio_minutes` raises a BadInputError with a
reason a receptionist can act on. Damage in a small part of a recording is a
soft failure: the readable audio is transcribed and a warning says how much was
skipped. Silence is not an error here; the stage reports it as `no_speech`.

`inspect_audio` reads container headers only (plus one packet, to prove the
codec opens); `decode_blocks` streams the whole recording as 16 kHz mono
float32 blocks so a three-hour dictation never sits in memory at once.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from chartdesk.config import Settings
from chartdesk.errors import CorruptFileError, EmptyFileError, TooLongError, UnsupportedTypeError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000  # what Whisper listens at

# Media types the ingest room sniffs, with the container names PyAV reports
# for them. Aliases some recorders and browsers use are accepted too.
_FORMATS: dict[str, frozenset[str]] = {
    "audio/wav": frozenset({"wav"}),
    "audio/mpeg": frozenset({"mp3"}),
    "audio/mp4": frozenset({"mov,mp4,m4a,3gp,3g2,mj2"}),
    "audio/ogg": frozenset({"ogg"}),
    "audio/flac": frozenset({"flac"}),
}
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-flac": "audio/flac",
    "audio/opus": "audio/ogg",
}
ACCEPTED_MEDIA_TYPES: frozenset[str] = frozenset(_FORMATS) | frozenset(_ALIASES)

# A recording is "cut short" when less than this share of the duration its
# header declares could be decoded (and more than the slack is missing).
_MIN_READABLE_SHARE = 0.9
_SLACK_SECONDS = 1.0

_RECOPY = "copy the recording again from the recorder or phone into the dictation inbox"


@dataclass(frozen=True, slots=True)
class AudioFacts:
    """What the container headers say. `duration_seconds` may be an estimate for MP3."""

    duration_seconds: float
    sample_rate: int
    channels: int
    container: str = ""
    codec: str = ""


@dataclass(slots=True)
class DecodeReport:
    """Filled in while `decode_blocks` runs; read it once the blocks are consumed."""

    declared_seconds: float | None = None
    decoded_seconds: float = 0.0
    damaged_packets: int = 0
    warnings: list[str] = field(default_factory=list)


def canonical_media_type(media_type: str) -> str:
    base = media_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def inspect_audio(path: Path, media_type: str, settings: Settings) -> AudioFacts:
    """Check a dropped recording before it is stored; raise a BadInputError if unusable."""
    kind = _require_accepted(media_type)
    _require_not_empty(path)
    _check_wav_header(path, kind)
    with _open(path) as container:
        stream = _audio_stream(container)
        _require_format(container, kind)
        facts = _facts(container, stream)
        _require_short_enough(facts.duration_seconds, settings)
        playable = _first_packet_decodes(container, stream)
    if not playable and facts.duration_seconds <= 0:
        raise _no_sound()
    if not playable:
        raise CorruptFileError("the audio data in the file is damaged and cannot be played", remedy=_RECOPY)
    return facts


def decode_blocks(
    path: Path, media_type: str, settings: Settings, report: DecodeReport, *, block_seconds: float = 30.0
) -> Iterator[np.ndarray]:
    """Yield the recording as 16 kHz mono float32 blocks of about `block_seconds`.

    Damaged packets are skipped and counted; after the last block the report is
    checked and a recording read only in part raises CorruptFileError.
    """
    kind = _require_accepted(media_type)
    _require_not_empty(path)
    _check_wav_header(path, kind)
    limit = settings.ingest.max_audio_minutes * 60
    block = int(block_seconds * SAMPLE_RATE)
    with _open(path) as container:
        stream = _audio_stream(container)
        _require_format(container, kind)
        report.declared_seconds = _facts(container, stream).duration_seconds or None
        _require_short_enough(report.declared_seconds or 0.0, settings)
        pending: list[np.ndarray] = []
        held = 0
        for samples in _resampled(container, stream, report):
            report.decoded_seconds += samples.size / SAMPLE_RATE
            _require_short_enough(report.decoded_seconds, settings, limit=limit)
            pending.append(samples)
            held += samples.size
            if held >= block:
                yield np.concatenate(pending)
                pending, held = [], 0
        if pending:
            yield np.concatenate(pending)
    _check_completeness(report)


def _resampled(container: av.container.InputContainer, stream: av.AudioStream, report: DecodeReport) -> Iterator[np.ndarray]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    for packet in _packets(container, stream, report):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            report.damaged_packets += 1
            continue
        for frame in frames:
            frame.pts = None
            yield from (_mono(out) for out in resampler.resample(frame))
    yield from (_mono(out) for out in resampler.resample(None))


def _packets(container: av.container.InputContainer, stream: av.AudioStream, report: DecodeReport) -> Iterator[av.Packet]:
    demux = container.demux(stream)
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            return
        except av.error.FFmpegError:
            # A demuxer error ends the readable part of the file; what follows is lost.
            report.damaged_packets += 1
            return
        if packet.size:
            yield packet


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """16-bit samples as float32 in [-1, 1), exactly as faster-whisper's own decoder
    makes them: tiny.en can change its words on differences below one 16-bit step."""
    return frame.to_ndarray().reshape(-1).astype(np.float32) / 32768.0


def _check_completeness(report: DecodeReport) -> None:
    declared, decoded = report.declared_seconds, report.decoded_seconds
    if decoded <= 0 and not declared:
        raise _no_sound()
    if decoded <= 0:
        raise CorruptFileError(
            "no sound could be read from the recording; the file is damaged",
            remedy=_RECOPY,
        )
    if declared and decoded < declared * _MIN_READABLE_SHARE and declared - decoded > _SLACK_SECONDS:
        raise CorruptFileError(
            f"the recording is damaged or cut short: only {_minutes(decoded)} of its "
            f"{_minutes(declared)} could be read",
            remedy=_RECOPY,
        )
    if report.damaged_packets:
        report.warnings.append(f"{report.damaged_packets} damaged part(s) of the recording were skipped")


def _minutes(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d} (min:sec)"


def _require_accepted(media_type: str) -> str:
    kind = canonical_media_type(media_type)
    if kind not in _FORMATS:
        raise UnsupportedTypeError(
            "this kind of audio file cannot be transcribed",
            remedy="save the dictation as WAV, MP3, M4A, OGG or FLAC and drop it again",
        )
    return kind


def _require_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise EmptyFileError("the audio file is empty (0 bytes)", remedy=_RECOPY)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        log.info("audio container did not open: %s", type(exc).__name__)
        raise CorruptFileError(
            "the audio file is damaged or incomplete and cannot be played",
            remedy=_RECOPY,
        ) from None


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    if not container.streams.audio:
        raise CorruptFileError("the file holds no sound track", remedy=_RECOPY)
    return container.streams.audio[0]


def _require_format(container: av.container.InputContainer, kind: str) -> None:
    if container.format.name not in _FORMATS[kind]:
        raise CorruptFileError(
            "the file's content does not match its audio type; it may be damaged or renamed",
            remedy="save the dictation again as WAV, MP3, M4A, OGG or FLAC and drop it again",
        )


def _facts(container: av.container.InputContainer, stream: av.AudioStream) -> AudioFacts:
    if container.duration is not None:
        seconds = container.duration / av.time_base
    elif stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    else:
        seconds = 0.0
    return AudioFacts(
        duration_seconds=max(0.0, float(seconds)),
        sample_rate=int(stream.codec_context.sample_rate or 0),
        channels=int(stream.codec_context.channels or 0),
        container=container.format.name,
        codec=stream.codec_context.name,
    )


def _require_short_enough(seconds: float, settings: Settings, *, limit: float | None = None) -> None:
    limit = settings.ingest.max_audio_minutes * 60 if limit is None else limit
    if seconds > limit:
        raise TooLongError(
            f"the recording is longer than the {settings.ingest.max_audio_minutes:g}-minute limit",
            remedy="split the dictation into shorter recordings, or ask IT to raise ingest.max_audio_minutes",
        )


def _first_packet_decodes(container: av.container.InputContainer, stream: av.AudioStream) -> bool:
    """Decode the first packet that holds data: proves the codec opens without a full decode."""
    try:
        for packet in container.demux(stream):
            if packet.size:
                packet.decode()
                return True
    except av.error.FFmpegError:
        return False
    return False


def _no_sound() -> EmptyFileError:
    return EmptyFileError(
        "the recording contains no sound (it is 0 seconds long)",
        remedy="check the recorder saved the dictation, then " + _RECOPY,
    )


def _check_wav_header(path: Path, kind: str) -> None:
    """A WAV whose header promises more sound than the file holds was cut short."""
    if kind != "audio/wav":
        return
    declared, present = _wav_data_sizes(path)
    if declared is not None and present < declared:
        raise CorruptFileError(
            "the recording is cut short: the file ends before the sound its header announces",
            remedy=_RECOPY,
        )


def _wav_data_sizes(path: Path) -> tuple[int | None, int]:
    """(bytes of sound the header declares or None when unknown, bytes present)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None, 0
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"data":
                streaming = chunk_size in (0, 0xFFFFFFFF)  # writers that never fixed the header
                return (None if streaming else chunk_size), size - offset - 8
            offset += 8 + chunk_size + (chunk_size & 1)
    return None, 0
