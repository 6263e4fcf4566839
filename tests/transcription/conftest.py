"""Audio for the dictation tests, built once per session and only when first asked for.

`clips.get(name)` returns a read-only file (copy it before changing it). The
model is the real tiny.en; it loads once per test process, like in a worker.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from chartdesk.config import Settings
from tests.conftest import SHARED_TESTDATA, make_settings
from tests.gen import audio as gen

# Real human speech, from the shared test data beside the checkout (its README
# gives the words and the licence). Read in place, never copied into the repo.
JFK = SHARED_TESTDATA / "jfk.flac"


class Clips:
    """Named audio files, each made on first use by its builder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[str, Path] = {}
        self._lock = threading.RLock()  # builders ask for other clips
        self._builders: dict[str, Callable[[Path], Path]] = _builders(self)

    def get(self, name: str) -> Path:
        with self._lock:
            if name not in self._built:
                self._built[name] = self._builders[name](self.root / name)
            return self._built[name]

    def names(self) -> list[str]:
        return list(self._builders)


def _dictation(key: str) -> gen.Dictation:
    return next(d for d in gen.DICTATIONS if d.key == key)


def _builders(clips: Clips) -> dict[str, Callable[[Path], Path]]:
    def spoken(key: str) -> Callable[[Path], Path]:
        d = _dictation(key)
        return lambda dest: gen.speak(d.spoken, dest, voice=d.voice, speed=d.speed)

    def smith_as(suffix: str, **kw: int) -> Callable[[Path], Path]:
        return lambda dest: gen.convert(clips.get("smith.wav"), dest.with_suffix(suffix), **kw)

    builders: dict[str, Callable[[Path], Path]] = {f"{d.key}.wav": spoken(d.key) for d in gen.DICTATIONS}
    builders |= {
        "smith_8k.wav": smith_as(".wav", rate=8000),
        "smith_44k_stereo.flac": smith_as(".flac", rate=44100, channels=2),
        "smith.mp3": smith_as(".mp3", rate=44100, channels=2),
        "smith.m4a": smith_as(".m4a", rate=22050),
        "smith.ogg": smith_as(".ogg", rate=48000),
        "smith_left.wav": lambda dest: gen.stereo_left_only(clips.get("smith.wav"), dest),
        "smith_noisy.wav": lambda dest: gen.with_noise(clips.get("smith.wav"), dest, level=0.02),
        "noise_60s.wav": lambda dest: gen.room_noise(dest, 60, level=0.03),
        "silence_30s.wav": lambda dest: gen.silence(dest, 30),
        "pauses.wav": lambda dest: gen.with_pauses(
            [gen.speak(t, dest.with_name(f"pause_part{i}.wav")) for i, t in enumerate(gen.PAUSE_SENTENCES)],
            dest,
            pause_seconds=20,
        ),
        "two_windows.wav": lambda dest: gen.with_pauses(
            [clips.get("garcia.wav"), clips.get("brown.wav")], dest, pause_seconds=80
        ),
        "empty.wav": lambda dest: gen.silence(dest, 0),
        "truncated.wav": lambda dest: gen.truncated(clips.get("smith.wav"), dest, keep=0.5),
        "truncated.flac": lambda dest: gen.truncated(clips.get("smith_44k_stereo.flac"), dest, keep=0.5),
        "truncated.m4a": lambda dest: gen.truncated(clips.get("smith.m4a"), dest, keep=0.5),
        "damaged.ogg": lambda dest: gen.damaged(clips.get("smith.ogg"), dest),
        "damaged.mp3": lambda dest: gen.damaged(clips.get("smith.mp3"), dest),
        "not_audio.wav": lambda dest: _write(dest, b"RIFF\x00\x00\x00\x00WAVEthis is a letter, not a recording\n" * 40),
        "zero_bytes.mp3": lambda dest: _write(dest, b""),
        "jfk.flac": lambda dest: Path(shutil.copyfile(JFK, dest)),
    }
    return builders


def _write(dest: Path, data: bytes) -> Path:
    dest.write_bytes(data)
    return dest


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    return Clips(tmp_path_factory.mktemp("clips"))


@pytest.fixture(scope="session")
def speech_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings as shipped (config defaults), in a session folder."""
    return make_settings(tmp_path_factory.mktemp("speech"))


MEDIA_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
}


def media_type(path: Path) -> str:
    return MEDIA_TYPES[path.suffix]
