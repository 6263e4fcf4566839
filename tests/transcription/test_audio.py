"""Reading recordings: headers, formats, rates, channels and every kind of bad audio.

No model here: these are the checks the ingest room calls before storing a
file, and the decoder the stage streams through.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chartdesk.config import Settings
from chartdesk.errors import (
    BadInputError,
    CorruptFileError,
    EmptyFileError,
    TooLongError,
    UnsupportedTypeError,
)
from chartdesk.transcription import ACCEPTED_MEDIA_TYPES, inspect_audio
from chartdesk.transcription.audio import SAMPLE_RATE, DecodeReport, decode_blocks
from tests.conftest import make_settings
from tests.transcription.conftest import Clips, media_type


@pytest.mark.parametrize(
    ("name", "rate", "channels", "codec"),
    [
        ("smith.wav", 16000, 1, "pcm_s16le"),
        ("smith_8k.wav", 8000, 1, "pcm_s16le"),
        ("smith_44k_stereo.flac", 44100, 2, "flac"),
        ("smith.mp3", 44100, 2, "mp3float"),
        ("smith.m4a", 22050, 1, "aac"),
        ("smith.ogg", 48000, 1, "vorbis"),
        ("jfk.flac", 44100, 2, "flac"),
    ],
)
def test_inspect_reads_the_headers(clips: Clips, speech_settings: Settings, name: str, rate: int, channels: int, codec: str) -> None:
    path = clips.get(name)
    facts = inspect_audio(path, media_type(path), speech_settings)
    assert (facts.sample_rate, facts.channels, facts.codec) == (rate, channels, codec)
    expected = 11.0 if name == "jfk.flac" else _seconds_of(clips.get("smith.wav"))
    assert facts.duration_seconds == pytest.approx(expected, abs=0.15)


def _seconds_of(wav: Path) -> float:
    # 16-bit mono PCM at 16 kHz after a 44-byte header: what `speak` writes
    return (wav.stat().st_size - 44) / 2 / SAMPLE_RATE


@pytest.mark.parametrize("name", ["smith_8k.wav", "smith_44k_stereo.flac", "smith.mp3", "smith.m4a", "smith.ogg"])
def test_every_format_decodes_to_16k_mono_of_the_same_length(clips: Clips, speech_settings: Settings, name: str) -> None:
    path = clips.get(name)
    report = DecodeReport()
    audio = np.concatenate(list(decode_blocks(path, media_type(path), speech_settings, report)))
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size / SAMPLE_RATE == pytest.approx(_seconds_of(clips.get("smith.wav")), abs=0.15)
    assert 0.05 < float(np.abs(audio).max()) <= 1.0
    assert report.damaged_packets == 0 and not report.warnings


def test_long_audio_streams_in_blocks(clips: Clips, speech_settings: Settings) -> None:
    path = clips.get("noise_60s.wav")
    blocks = list(decode_blocks(path, "audio/wav", speech_settings, DecodeReport(), block_seconds=10))
    assert len(blocks) == 6
    assert sum(b.size for b in blocks) == 60 * SAMPLE_RATE


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("zero_bytes.mp3", EmptyFileError, "empty"),
        ("empty.wav", EmptyFileError, "no sound"),
        ("truncated.wav", CorruptFileError, "cut short"),
        ("truncated.m4a", CorruptFileError, "damaged or incomplete"),
        ("not_audio.wav", CorruptFileError, "damaged"),
    ],
)
def test_inspect_refuses_bad_files_with_a_reason(
    clips: Clips, speech_settings: Settings, name: str, error: type[BadInputError], words: str
) -> None:
    path = clips.get(name)
    with pytest.raises(error) as caught:
        inspect_audio(path, media_type(path), speech_settings)
    _readable(caught.value, words)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("truncated.flac", "cut short"),  # the header promises 16 s; half is there
        ("damaged.ogg", "could be read"),
        ("damaged.mp3", "could be read"),
        ("truncated.wav", "cut short"),
    ],
)
def test_decoding_finds_damage_the_headers_hide(clips: Clips, speech_settings: Settings, name: str, words: str) -> None:
    path = clips.get(name)
    with pytest.raises(CorruptFileError) as caught:
        for _ in decode_blocks(path, media_type(path), speech_settings, DecodeReport()):
            pass
    _readable(caught.value, words)


def test_too_long_is_refused_from_the_header(clips: Clips, tmp_path: Path) -> None:
    short_limit = make_settings(tmp_path, ingest={"max_audio_minutes": 0.5})
    with pytest.raises(TooLongError) as caught:
        inspect_audio(clips.get("noise_60s.wav"), "audio/wav", short_limit)
    _readable(caught.value, "0.5-minute limit")
    assert "ingest.max_audio_minutes" in caught.value.remedy


def test_too_long_is_refused_while_decoding_when_the_header_understates(clips: Clips, tmp_path: Path) -> None:
    """Given a WAV whose header declares no length (as streaming recorders write it),
    when it is decoded past the limit, decoding stops with TooLongError."""
    streamed = tmp_path / "streamed.wav"
    data = bytearray(clips.get("noise_60s.wav").read_bytes())
    data[4:8] = b"\xff\xff\xff\xff"  # RIFF size unknown
    data_at = data.index(b"data")
    data[data_at + 4 : data_at + 8] = b"\xff\xff\xff\xff"  # data size unknown
    streamed.write_bytes(bytes(data))
    short_limit = make_settings(tmp_path, ingest={"max_audio_minutes": 0.5})
    with pytest.raises(TooLongError):
        for _ in decode_blocks(streamed, "audio/wav", short_limit, DecodeReport(), block_seconds=5):
            pass


@pytest.mark.parametrize("kind", ["audio/x-ms-wma", "audio/amr", "video/quicktime", "application/pdf"])
def test_other_media_types_are_unsupported(clips: Clips, speech_settings: Settings, kind: str) -> None:
    with pytest.raises(UnsupportedTypeError) as caught:
        inspect_audio(clips.get("smith.wav"), kind, speech_settings)
    _readable(caught.value, "WAV, MP3, M4A, OGG or FLAC")


def test_content_that_does_not_match_its_type_is_refused(clips: Clips, speech_settings: Settings) -> None:
    with pytest.raises(CorruptFileError) as caught:
        inspect_audio(clips.get("smith.ogg"), "audio/flac", speech_settings)
    _readable(caught.value, "does not match")


def test_the_media_types_ingest_sniffs_are_accepted() -> None:
    from chartdesk.ingest import ACCEPTED

    sniffed_audio = {s.media_type for s in ACCEPTED if s.kind == "audio"}
    assert sniffed_audio <= ACCEPTED_MEDIA_TYPES


def _readable(err: BadInputError, words: str) -> None:
    """A reason a receptionist can act on: plain words, a remedy, no traceback talk."""
    assert words in str(err)
    assert err.remedy
    for jargon in ("Errno", "Traceback", "InvalidData", "av.", "ffmpeg"):
        assert jargon not in str(err)
