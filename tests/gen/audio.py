"""Dictations and bad audio for the transcription tests, made with espeak-ng and sox.

    from tests.gen.audio import DICTATIONS, speak, with_noise, room_noise, wer

- `DICTATIONS`: short medical dictations naming a patient, a date of birth, an
  MRN and medications, each with the text as spoken (what espeak-ng reads), the
  text as it should be written after normalisation, a voice and a speed.
- `speak`, `room_noise`, `with_noise`, `with_pauses`, `convert`: WAV, MP3,
  OGG, FLAC (sox) and M4A (PyAV's AAC encoder; this sox has no M4A writer).
- `truncated`, `damaged`: broken copies of a good file.
- `wer`: word error rate after case and punctuation are set aside.

Deterministic: espeak-ng is deterministic and sox runs with -R (fixed seed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
from rapidfuzz.distance import Levenshtein

RATE = 16_000


@dataclass(frozen=True, slots=True)
class Dictation:
    key: str
    spoken: str  # what the voice says
    written: str  # what the stored, normalised text should say
    voice: str = "en-us"
    speed: int = 150  # words per minute


DICTATIONS: tuple[Dictation, ...] = (
    Dictation(
        "smith",
        "Patient John Smith, S M I T H, date of birth March fourth nineteen sixty-one, "
        "M R N four five one two. The patient takes metformin five hundred milligrams twice daily "
        "and lisinopril ten milligrams once daily.",
        "Patient John Smith, date of birth March 4, 1961, MRN 4512. The patient takes metformin "
        "500 milligrams twice daily and lisinopril 10 milligrams once daily.",
        voice="en-us",
        speed=150,
    ),
    Dictation(
        "garcia",
        "Follow up visit for Maria Garcia, date of birth July twenty-second nineteen eighty-four. "
        "Blood pressure is controlled on amlodipine five milligrams. Continue atorvastatin forty "
        "milligrams at night.",
        "Follow up visit for Maria Garcia, date of birth July 22, 1984. Blood pressure is "
        "controlled on amlodipine 5 milligrams. Continue atorvastatin 40 milligrams at night.",
        voice="en-gb",
        speed=140,
    ),
    Dictation(
        "nguyen",
        "This is a dictation for Thomas Nguyen, N G U Y E N, M R N seven seven zero three one nine. "
        "He has type two diabetes and hypertension. Start metoprolol twenty five milligrams daily.",
        "This is a dictation for Thomas Nguyen, MRN 770319. He has type 2 diabetes and hypertension. "
        "Start metoprolol 25 milligrams daily.",
        voice="en-us+m3",
        speed=160,
    ),
    Dictation(
        "patel",
        "Discharge summary for Priya Patel, date of birth the fifth of November two thousand and two. "
        "She was treated for pneumonia with amoxicillin. Albuterol inhaler as needed.",
        "Discharge summary for Priya Patel, date of birth November 5, 2002. She was treated for "
        "pneumonia with amoxicillin. Albuterol inhaler as needed.",
        voice="en-us+f3",
        speed=145,
    ),
    Dictation(
        "brown",
        "Robert Brown, date of birth January thirtieth nineteen fifty-five, is seen for atrial "
        "fibrillation. Continue warfarin and levothyroxine. Check kidney function in three months.",
        "Robert Brown, date of birth January 30, 1955, is seen for atrial fibrillation. Continue "
        "warfarin and levothyroxine. Check kidney function in 3 months.",
        voice="en-gb-x-rp",
        speed=170,
    ),
)

# Plain sentences without names or numbers: every word is an ordinary one, so a
# transcript word that was not said is an invention, not a spelling variant.
PAUSE_SENTENCES: tuple[str, ...] = (
    "The patient reports feeling much better this week.",
    "There is no chest pain and no shortness of breath.",
    "We will review the blood tests at the next visit.",
)

JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def sox(*args: str) -> None:
    """sox with repeatable random numbers (noise is the same on every run)."""
    _run("sox", "-R", *args)


def speak(text: str, dest: Path, *, voice: str = "en-us", speed: int = 150, rate: int = RATE) -> Path:
    """espeak-ng reads `text`; the result is a mono WAV at `rate`."""
    raw = dest.with_name(dest.stem + ".espeak.wav")
    _run("espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text)
    sox(str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(dest))
    raw.unlink()
    return dest


def room_noise(dest: Path, seconds: float, *, rate: int = RATE, level: float = 0.03) -> Path:
    """Office room tone: pink noise (ventilation), brown rumble and a faint mains hum."""
    parts = []
    for i, (kind, vol) in enumerate((("pinknoise", level), ("brownnoise", level * 2), ("sine", level / 4))):
        part = dest.with_name(f"{dest.stem}.{i}.wav")
        spec = [kind, "50"] if kind == "sine" else [kind]
        sox("-n", "-r", str(rate), "-c", "1", "-b", "16", str(part), "synth", str(seconds), *spec, "vol", str(vol))
        parts.append(part)
    sox("-m", *(str(p) for p in parts), str(dest))
    for p in parts:
        p.unlink()
    return dest


def with_noise(speech: Path, dest: Path, *, level: float = 0.03) -> Path:
    """The speech with room noise under it for its whole length."""
    seconds = _seconds(speech)
    noise = room_noise(dest.with_name(dest.stem + ".noise.wav"), seconds, level=level)
    sox("-m", str(speech), str(noise), str(dest))
    noise.unlink()
    return dest


def silence(dest: Path, seconds: float, *, rate: int = RATE) -> Path:
    sox("-n", "-r", str(rate), "-c", "1", "-b", "16", str(dest), "trim", "0", str(seconds))
    return dest


def with_pauses(parts: list[Path], dest: Path, *, pause_seconds: float, noise_level: float = 0.01) -> Path:
    """The parts one after another with long pauses between, room noise throughout."""
    gap = silence(dest.with_name(dest.stem + ".gap.wav"), pause_seconds)
    sequence: list[str] = []
    for i, part in enumerate(parts):
        sequence += [str(gap)] if i else []
        sequence.append(str(part))
    joined = dest.with_name(dest.stem + ".joined.wav")
    sox(*sequence, str(joined))
    with_noise(joined, dest, level=noise_level)
    gap.unlink()
    joined.unlink()
    return dest


def convert(src: Path, dest: Path, *, rate: int | None = None, channels: int | None = None) -> Path:
    """Re-encode by the suffix of `dest`: .wav .flac .ogg .mp3 (sox) or .m4a (PyAV, AAC)."""
    if dest.suffix == ".m4a":
        return _m4a(src, dest, rate=rate or RATE, channels=channels or 1)
    effects = [*(["-r", str(rate)] if rate else []), *(["-c", str(channels)] if channels else [])]
    sox(str(src), *effects, str(dest))
    return dest


def _m4a(src: Path, dest: Path, *, rate: int, channels: int) -> Path:
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(src)) as inp, av.open(str(dest), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=rate, layout=layout)
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        for frame in inp.decode(audio=0):
            frame.pts = None
            for resampled in resampler.resample(frame):
                out.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))
    return dest


def stereo_left_only(speech: Path, dest: Path) -> Path:
    """Stereo with the voice on the left channel and near-silence on the right (a lapel mic)."""
    quiet = dest.with_name(dest.stem + ".quiet.wav")
    sox(str(speech), str(quiet), "vol", "0.01")
    sox("-M", str(speech), str(quiet), str(dest))
    quiet.unlink()
    return dest


def truncated(src: Path, dest: Path, *, keep: float = 0.5) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def damaged(src: Path, dest: Path) -> Path:
    """The middle third overwritten with bytes that are not audio (a bad sector, a bad copy)."""
    data = bytearray(src.read_bytes())
    third = len(data) // 3
    pattern = bytes(range(256)) * (third // 256 + 1)
    data[third : 2 * third] = pattern[:third]
    dest.write_bytes(bytes(data))
    return dest


def copy(src: Path, dest: Path) -> Path:
    shutil.copyfile(src, dest)
    return dest


def _seconds(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


_WER_DROP = re.compile(r"[^\w\s]")


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
    )
}


def wer_words(text: str) -> list[str]:
    """Words for WER: lower case, punctuation dropped ("4,500" stays one token: "4500"),
    small numbers as digits on both sides ("three months" = "3 months"), as Whisper's
    own English normaliser does."""
    text = re.sub(r"(?<=\d)[,.](?=\d)", "", text)
    return [_NUMBER_WORDS.get(w, w) for w in _WER_DROP.sub(" ", text.lower()).split()]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance / words in the reference."""
    ref, hyp = wer_words(reference), wer_words(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))
