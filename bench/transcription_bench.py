"""Dictation: speed of our stage against bare faster-whisper, threads, word error rate.

    .venv/bin/python -m bench.transcription_bench [--rounds 3] [--skip-wer]

All on the same files, built here with espeak-ng and sox (tests/gen/audio.py):
five medical dictations (five voices and speeds), one 80 s dictation made of
all five with 3 s pauses, and the real speech in ../shared/testdata/jfk.flac.

1. Overhead: real-time factor (processing seconds per audio second) of our
   `transcribe` stage (decode, windows, guards, normalisation, the StageResult)
   against a bare `WhisperModel.transcribe(path)` with the same options on the
   same files; alternated, `--rounds` rounds, medians; ratio ours/bare.
2. Threads: real-time factor of the bare call at cpu_threads 1 and 2 (2 with
   and without OMP_THREAD_LIMIT=1 in the environment, which workers set for
   tesseract), each in a fresh process, and the throughput of two 1-thread jobs
   running at once in two processes (how the pipeline runs on 2 cores).
3. Word error rate of the stored text (after spoken-identifier normalisation)
   on each dictation with no prompt, the vocabulary prompt only, hotwords only,
   and both (what config.toml ships); JFK with the shipped settings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import multiprocessing.pool
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from chartdesk.config import Settings  # noqa: E402
from chartdesk.stages import Doc, StageContext  # noqa: E402
from chartdesk.transcription import SpeechOptions, transcribe_file, transcribe_stage  # noqa: E402
from chartdesk.transcription.engine import model_dir, whisper_kwargs  # noqa: E402
from tests.conftest import SHARED_TESTDATA, make_settings  # noqa: E402
from tests.gen import audio as gen  # noqa: E402

JFK = SHARED_TESTDATA / "jfk.flac"


def build(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for d in gen.DICTATIONS:
        files[d.key] = gen.speak(d.spoken, folder / f"{d.key}.wav", voice=d.voice, speed=d.speed)
    long = gen.with_pauses([files[d.key] for d in gen.DICTATIONS], folder / "all_five.wav", pause_seconds=3)
    files["all_five"] = gen.convert(long, folder / "all_five.mp3")  # a compressed format, as recorders write
    files["jfk"] = JFK
    return files


def seconds_of(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        return float(c.duration or 0) / 1_000_000


def media_type(path: Path) -> str:
    return {".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac"}[path.suffix]


# -- the two ways of transcribing -------------------------------------------------


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def _timed(work: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_runner(settings: Settings, threads: int) -> Callable[[Path], Timing]:
    from faster_whisper import WhisperModel

    t = settings.transcription
    model = WhisperModel(str(model_dir(t)), device="cpu", compute_type=str(t.compute_type),
                         cpu_threads=threads, local_files_only=True)
    kwargs = whisper_kwargs(SpeechOptions.from_settings(t))

    def run(path: Path) -> Timing:
        return _timed(lambda: list(model.transcribe(str(path), **kwargs)[0]))

    run(JFK)  # warm up: first call allocates
    return run


def stage_runner(settings: Settings) -> Callable[[Path], Timing]:
    def run(path: Path) -> Timing:
        doc = Doc(id=1, sha256="0" * 64, size_bytes=path.stat().st_size, media_type=media_type(path),
                  kind="audio", original_name=path.name, source="dictation", inbox="dictation",
                  received_at=dt.datetime.now(dt.UTC), state="received", stage="transcribe",
                  generation=1, attempts=1)
        ctx = StageContext(settings=settings, blob_path=lambda _sha: path, derived_dir=lambda _id: path.parent,
                           worker_id="bench", heartbeat=lambda: None)
        return _timed(lambda: transcribe_stage.run(doc, ctx))

    run(JFK)  # loads the model once, as a worker does on its first audio job
    return run


# -- 1. overhead -----------------------------------------------------------------------


def overhead(files: dict[str, Path], settings: Settings, rounds: int) -> None:
    """Each file is run by both, back to back, in alternating order; per file the
    median over rounds; summed over files. CPU seconds are less disturbed than
    wall seconds when other work shares the cores."""
    audio = sum(seconds_of(p) for p in files.values())
    bare, ours = bare_runner(settings, settings.transcription.cpu_threads), stage_runner(settings)
    totals = {"bare": [0.0, 0.0], "ours": [0.0, 0.0]}
    for i, path in enumerate(files.values()):
        runs: dict[str, list[Timing]] = {"bare": [], "ours": []}
        for r in range(rounds):
            pair = [("bare", bare), ("ours", ours)]
            for name, runner in pair if (r + i) % 2 == 0 else reversed(pair):
                runs[name].append(runner(path))
        for name, timings in runs.items():
            totals[name][0] += statistics.median(t[0] for t in timings)
            totals[name][1] += statistics.median(t[1] for t in timings)
    (bw, bc), (ow, oc) = totals["bare"], totals["ours"]
    print(f"1. overhead on {len(files)} files, {audio:.1f} s of audio, {rounds} rounds, per-file medians")
    print(f"   bare faster-whisper transcribe  RTF wall {bw / audio:.4f}  cpu {bc / audio:.4f}")
    print(f"   our transcribe stage            RTF wall {ow / audio:.4f}  cpu {oc / audio:.4f}")
    print(f"   ratio ours/bare                 wall {ow / bw:.3f} ({100 * (ow / bw - 1):+.1f}%)"
          f"  cpu {oc / bc:.3f} ({100 * (oc / bc - 1):+.1f}%)")


# -- 2. threads --------------------------------------------------------------------------


_WORKER_RUN: Callable[[Path], Timing] | None = None


def _load_worker(root: str, threads: int) -> None:
    """Pool initializer: one model per worker process, loaded once."""
    global _WORKER_RUN
    _WORKER_RUN = bare_runner(make_settings(Path(root)), threads)


def _job(paths: list[str]) -> list[float]:
    assert _WORKER_RUN is not None
    return [_WORKER_RUN(Path(p))[0] for p in paths]


@contextmanager
def _pool(root: Path, threads: int, processes: int, omp_limit: str | None) -> Iterator[multiprocessing.pool.Pool]:
    """Worker processes started with OMP_THREAD_LIMIT as given (None: unset)."""
    saved = os.environ.pop("OMP_THREAD_LIMIT", None)
    if omp_limit is not None:
        os.environ["OMP_THREAD_LIMIT"] = omp_limit
    try:
        pool = multiprocessing.get_context("spawn").Pool(processes, initializer=_load_worker, initargs=(str(root), threads))
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)
        if saved is not None:
            os.environ["OMP_THREAD_LIMIT"] = saved
    try:
        yield pool
    finally:
        pool.close()
        pool.join()


def threads(files: dict[str, Path], rounds: int, root: Path) -> None:
    """Each configuration in its own fresh processes, as pipeline workers run."""
    paths = [str(p) for p in files.values()]
    audio = sum(seconds_of(p) for p in files.values())
    print(f"2. threads (bare call, {audio:.1f} s of audio per job, {rounds} rounds, medians; {os.cpu_count()} cores)")
    single: dict[tuple[int, str | None], float] = {}
    for n, limit in ((1, "1"), (2, None), (2, "1")):
        with _pool(root, n, 1, limit) as pool:
            calls = [pool.apply(_job, (paths,)) for _ in range(rounds)]
        single[(n, limit)] = statistics.median(sum(c) for c in calls)
        slowest = max(max(c) for c in calls)
        print(f"   cpu_threads={n}, OMP_THREAD_LIMIT={limit or 'unset':5}  one job RTF wall "
              f"{single[(n, limit)] / audio:.4f}  (slowest single file {slowest:.1f} s)")
    with _pool(root, 1, 2, "1") as pool:
        walls = []
        for _ in range(rounds):
            start = time.perf_counter()
            pool.map(_job, [paths] * 2, chunksize=1)
            walls.append(time.perf_counter() - start)
    both = statistics.median(walls)
    print(f"   throughput, audio s per s: two 1-thread jobs at once {2 * audio / both:.1f}; "
          f"one 2-thread job {audio / single[(2, None)]:.1f}; one 1-thread job {audio / single[(1, '1')]:.1f}")


# -- 3. word error rate --------------------------------------------------------------------


def word_errors(files: dict[str, Path], root: Path) -> None:
    variants = {
        "no prompt": {"initial_prompt": "", "hotwords": ""},
        "prompt only": {"hotwords": ""},
        "hotwords only": {"initial_prompt": ""},
        "prompt + hotwords (shipped)": {},
    }
    keys = [d.key for d in gen.DICTATIONS]
    print("3. word error rate of the stored text (espeak-ng dictations; voice, words/min)")
    print("   " + " ".join(f"{k:>8}" for k in keys) + "     mean  variant")
    for name, change in variants.items():
        settings = make_settings(root / name.replace(" ", "_"), transcription=change)
        rates = [gen.wer(d.written, transcribe_file(files[d.key], "audio/wav", settings).text) for d in gen.DICTATIONS]
        print("   " + " ".join(f"{r:8.3f}" for r in rates) + f"   {statistics.mean(rates):6.3f}  {name}")
    print("   voices: " + ", ".join(f"{d.key}={d.voice}@{d.speed}" for d in gen.DICTATIONS))
    jfk = transcribe_file(JFK, "audio/flac", make_settings(root / "jfk"))
    print(f"   jfk.flac (real speech), shipped settings: WER {gen.wer(gen.JFK_TEXT, jfk.text):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-wer", action="store_true")
    args = parser.parse_args(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="chartdesk-speech-bench-") as tmp:
        root = Path(tmp)
        (root / "audio").mkdir()
        files = build(root / "audio")
        settings = make_settings(root)
        print(f"model: {settings.transcription.model_dir or 'bundled tiny.en'}, compute {settings.transcription.compute_type}, "
              f"beam {settings.transcription.beam_size}, cpu_threads {settings.transcription.cpu_threads}")
        print(f"load average before: {_load()}")
        overhead(files, settings, args.rounds)
        threads(files, args.rounds, root)
        if not args.skip_wer:
            word_errors(files, root)
        print(f"load average after: {_load()} (other work on the cores inflates wall times)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
