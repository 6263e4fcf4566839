"""OCR throughput and clean-up accuracy on generated faxes and scans.

    .venv/bin/python -m bench.ocr_bench [--rounds 3] [--pages-per-kind 4]

1. Throughput: our in-process path (tesserocr, the stage's clean-up, 2 spawned
   worker processes) against the bare reference
   `ls PAGES | OMP_THREAD_LIMIT=1 xargs -P2 -I{} tesseract {} stdout`
   on the same page files (DPI set in each file), alternated, medians reported
   as pages per minute and the ratio ours/reference. CER of both is printed too.
2. Clean-up variants: mean CER and seconds per page with each step turned off
   (and two steps we rejected: LANCZOS upscaling of fine faxes to 300 dpi, and
   not passing the DPI), one process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image  # noqa: E402

from chartdesk.config import OcrSettings  # noqa: E402
from chartdesk.ocr import Steps, get_engine  # noqa: E402
from chartdesk.ocr import images as image_files  # noqa: E402
from chartdesk.ocr import read as reader  # noqa: E402
from tests.gen import cer, fax_pages, make_document, scan_pages  # noqa: E402

SETTINGS = OcrSettings()
ALL_STEPS = Steps()


@dataclass(frozen=True)
class PageFile:
    path: Path
    truth: str
    group: str


def build_pages(folder: Path, per_kind: int) -> list[PageFile]:
    kinds = ("referral_letter", "discharge_summary", "progress_note", "imaging_report", "consent_form", "eob")
    pages: list[PageFile] = []
    for i in range(per_kind):
        doc = make_document(kinds[i % len(kinds)], 100 + i)
        for mode in ("fine", "normal"):
            page = fax_pages(doc, mode=mode, seed=i)[0]
            path = folder / f"fax-{mode}-{i:02d}.tif"
            page.image.save(path, "TIFF", compression="group4", dpi=page.dpi)
            pages.append(PageFile(path, page.truth, f"fax_{mode}"))
        page = scan_pages(doc, seed=i, upside_down=(0,) if i == per_kind - 1 else ())[0]
        path = folder / f"scan-{i:02d}.png"
        page.image.save(path, "PNG", dpi=page.dpi)
        pages.append(PageFile(path, page.truth, "scan_upside_down" if page.rotation else "scan"))
    return pages


# ---------------------------------------------------------------- our path


def _ours(path: str, steps: Steps = ALL_STEPS) -> tuple[str, float]:
    started = time.perf_counter()
    engine = get_engine(SETTINGS)
    source = next(image_files.iter_pages(Path(path), 120_000_000))
    prepared = reader.prepare(source.image, source.dpi, SETTINGS, steps)
    text = reader.read(engine, prepared, SETTINGS, steps).text
    return text, time.perf_counter() - started


def run_ours(pool: multiprocessing.pool.Pool, pages: list[PageFile]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    results = pool.map(_ours, [str(p.path) for p in pages], chunksize=1)
    return time.perf_counter() - started, [text for text, _ in results]


def run_reference(folder: Path, pages: list[PageFile]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    subprocess.run("ls *.tif *.png | OMP_THREAD_LIMIT=1 xargs -P2 -I{} sh -c 'tesseract {} {}.ref >/dev/null 2>&1'",
                   shell=True, cwd=folder, check=True)
    seconds = time.perf_counter() - started
    texts = [Path(f"{p.path}.ref.txt").read_text() for p in pages]
    return seconds, texts


def throughput(folder: Path, pages: list[PageFile], rounds: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    ours_s: list[float] = []
    ref_s: list[float] = []
    with ctx.Pool(2) as pool:
        pool.map(_ours, [str(pages[0].path)] * 2)  # warm up: one engine per process, as workers do
        for _ in range(rounds):
            seconds, ours_text = run_ours(pool, pages)
            ours_s.append(seconds)
            seconds, ref_text = run_reference(folder, pages)
            ref_s.append(seconds)
    n = len(pages)
    ours_ppm, ref_ppm = 60 * n / statistics.median(ours_s), 60 * n / statistics.median(ref_s)
    print(f"\n== throughput: {n} pages, 2 processes each, {rounds} alternated rounds (medians)")
    print(f"  ours (tesserocr in process + clean-up): {ours_ppm:7.1f} pages/min   runs {_fmt(ours_s)}")
    print(f"  reference (tesseract CLI, xargs -P2):   {ref_ppm:7.1f} pages/min   runs {_fmt(ref_s)}")
    print(f"  ratio ours/reference: {ours_ppm / ref_ppm:.2f}")
    print("  mean CER by group        ours     reference")
    for group in sorted({p.group for p in pages}):
        idx = [i for i, p in enumerate(pages) if p.group == group]
        ours_cer = statistics.mean(cer(pages[i].truth, ours_text[i]) for i in idx)
        ref_cer = statistics.mean(cer(pages[i].truth, ref_text[i]) for i in idx)
        print(f"  {group:22s} {100 * ours_cer:6.2f} %  {100 * ref_cer:6.2f} %")


def _fmt(values: list[float]) -> str:
    return " ".join(f"{v:.2f}s" for v in values)


# ---------------------------------------------------------------- variants


def _upscale_fine_faxes(path: str) -> tuple[str, float]:
    """The rejected idea: fine faxes upscaled to 300 dpi with LANCZOS."""
    started = time.perf_counter()
    engine = get_engine(SETTINGS)
    source = next(image_files.iter_pages(Path(path), 120_000_000))
    image, dpi = source.image, source.dpi
    if "fax-fine" in path:
        scale = 300 / dpi[0]
        image = image.convert("L").resize((round(image.width * scale), round(image.height * 300 / dpi[1])),
                                          Image.Resampling.LANCZOS)
        dpi = (300.0, 300.0)
    prepared = reader.prepare(image, dpi, SETTINGS, Steps())
    return reader.read(engine, prepared, SETTINGS, Steps()).text, time.perf_counter() - started


def _without_dpi(path: str) -> tuple[str, float]:
    """No DPI passed (tesseract assumes 70 for a PIL image without one)."""
    started = time.perf_counter()
    engine = get_engine(SETTINGS)
    source = next(image_files.iter_pages(Path(path), 120_000_000))
    prepared = reader.prepare(source.image, source.dpi, SETTINGS, Steps())
    prepared.dpi = 70
    return reader.read(engine, prepared, SETTINGS, Steps()).text, time.perf_counter() - started


def variants(pages: list[PageFile]) -> None:
    base = Steps()
    runs = {
        "all steps (the stage)": lambda p: _ours(p, base),
        "no square pixels": lambda p: _ours(p, replace(base, square=False)),
        "no deskew": lambda p: _ours(p, replace(base, deskew=False)),
        "no orientation check": lambda p: _ours(p, replace(base, orientation=False)),
        "no clean-up at all": lambda p: _ours(p, Steps(square=False, grey=False, limit=False, deskew=False,
                                                       orientation=False)),
        "fine fax upscaled 300 LANCZOS": _upscale_fine_faxes,
        "DPI not passed": _without_dpi,
    }
    groups = sorted({p.group for p in pages})
    print("\n== clean-up variants (one process): mean CER % per group, seconds per page (median)")
    print("  " + f"{'variant':32s}" + "".join(f"{g:>18s}" for g in groups) + f"{'s/page':>9s}")
    for label, fn in runs.items():
        results = [fn(str(p.path)) for p in pages]
        cells = []
        for group in groups:
            idx = [i for i, p in enumerate(pages) if p.group == group]
            cells.append(100 * statistics.mean(cer(pages[i].truth, results[i][0]) for i in idx))
        per_page = statistics.median(s for _, s in results)
        print("  " + f"{label:32s}" + "".join(f"{c:17.2f}%" for c in cells) + f"{per_page:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages-per-kind", type=int, default=4)
    parser.add_argument("--skip-variants", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        folder = Path(tmp)
        pages = build_pages(folder, args.pages_per_kind)
        print(f"pages: {len(pages)} ({', '.join(sorted({p.group for p in pages}))}); OMP_THREAD_LIMIT="
              f"{os.environ.get('OMP_THREAD_LIMIT')}")
        throughput(folder, pages, args.rounds)
        if not args.skip_variants:
            variants(pages)


if __name__ == "__main__":
    main()
