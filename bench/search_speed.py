"""Search speed on a large generated index.

    .venv/bin/python -m bench.search_speed [--docs 100000] [--rounds 3]

Builds a tantivy index of `--docs` documents from the bench corpus generator
(bench/judged/corpus.py, no OCR) through the chartdesk backend, then times
queries of each kind, all with a clinician-like access filter (no restricted
charts, no documents awaiting review) applied inside the engine query:

  word      one word                       phrase   a quoted phrase
  prefix    word*                          filtered words + class: and date: typed
  name      a patient's name               date     a date of birth in some form
  synonym   an abbreviation (expanded)     typo     a misspelt long word (fuzzy)

Reported: build time and documents/s, index size on disk, and per kind p50/p95
latency of `SearchIndex.search` (20 hits with snippets) against the reference:
tantivy alone running the very same engine query (compiled beforehand: the
words, synonyms, fuzzy and OCR clauses, the access filter), top 20 with count,
no snippets. The ratio is the cost of our Python layers: parsing, query
building, loading hits and cutting snippets.
Run it once or twice: it takes minutes and the CPU is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import tantivy

from bench.judged.corpus import ROSTER, CorpusDoc, iter_fast, write_date
from chartdesk.index import (
    MATCH_ALL,
    IndexDocument,
    Not,
    all_of,
    expand_synonyms,
    load_synonyms,
    parse_query,
    term,
)
from chartdesk.index.tantivy_index import TantivyIndex
from chartdesk.index.tantivy_query import with_filters

BATCH = 20_000
VISIBLE = all_of(Not(term("chart", "restricted")), Not(term("status", "review")))


def to_index(doc: CorpusDoc) -> IndexDocument:
    restricted = doc.doc_id % 37 == 0
    status = "review" if doc.doc_id % 19 == 0 else "filed"
    return IndexDocument(
        doc_id=doc.doc_id, text=doc.text, title=f"{doc.source}-{doc.doc_id:06d}.pdf", doc_class=doc.doc_class,
        source=doc.source, inbox=None, patient_id=int(doc.patient[1:]), patient_names=(doc.patient_name,),
        patient_birth_date=doc.birth, doc_date=doc.doc_date, received=doc.received, labels=(), status=status,
        chart_restricted=restricted,
    )


def build(path: Path, docs: int) -> tuple[float, int]:
    index = TantivyIndex(path, writer=True, synonyms=load_synonyms(), heap_bytes=200_000_000)
    started = time.perf_counter()
    stream: Iterator[CorpusDoc] = iter_fast(docs)
    done = 0
    while done < docs:
        chunk = [to_index(d) for _, d in zip(range(BATCH), stream, strict=False)]
        index.add(chunk)
        index.commit()
        done += len(chunk)
        print(f"  indexed {done}", flush=True)
    seconds = time.perf_counter() - started
    index.close()
    return seconds, _size(path)


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def workload(rng: random.Random) -> dict[str, list[str]]:
    """Per kind, what staff type."""
    words = ["hypertension", "asthma", "pneumonia", "gout", "migraine", "depression", "osteoarthritis", "furosemide",
             "metformin", "levothyroxine", "referral", "echocardiogram", "insurance", "colchicine", "sumatriptan"]
    phrases = ["congestive heart failure", "chronic kidney disease", "deep vein thrombosis", "atrial fibrillation",
               "past medical history", "iron deficiency anemia", "obstructive sleep apnea", "no acute process"]
    prefixes = ["cardio", "pneum", "hyper", "thyro", "gastro", "neuro", "osteo", "derm"]
    people = rng.sample(ROSTER, 10)
    return {
        "word": words,
        "phrase": [f'"{p}"' for p in phrases],
        "prefix": [f"{p}*" for p in prefixes],
        "filtered": [f"{w} class:clinical_note date:2025-03..2025-12" for w in words],
        "name": [f"{g} {f}" for _, g, _, f, _ in people],
        "date": [write_date(born, rng) for *_, born in people],
        "synonym": ["MI", "CHF", "HTN", "COPD", "UTI", "CVA", "DVT", "CKD", "GERD", "OSA"],
        "typo": ["hypertensoin", "pnuemonia", "depresion", "osteoarthritus", "migrane", "furosemid"],
    }


def compiled(index: TantivyIndex, typed: str) -> tuple[tantivy.Query, tantivy.Searcher]:
    """The engine query chartdesk sends for `typed` (as TantivyIndex.search builds it)."""
    searcher = index._index.searcher()  # bench-only look inside, to time the engine alone
    tree = expand_synonyms(parse_query(typed), index.synonyms)
    user = index.builder.build(tree, searcher)
    return with_filters(user, [index.builder.filter(VISIBLE), index.builder.filter(MATCH_ALL)]), searcher


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    with tempfile.TemporaryDirectory(prefix="chartdesk-speed-") as tmp:
        path = Path(tmp) / "index"
        seconds, size = build(path, args.docs)
        print(f"build: {args.docs} documents in {seconds:.1f}s ({args.docs / seconds:.0f} docs/s); "
              f"index {size / 1e6:.1f} MB ({size / args.docs:.0f} bytes/doc)")
        ours = TantivyIndex(path, writer=False, synonyms=load_synonyms())
        rng = random.Random(5)
        print(f"\n{'kind':<10}{'ours p50':>10}{'p95':>8}{'engine p50':>12}{'p95':>8}{'ratio p50':>11}{'hits (median)':>15}   ms")
        for kind, typed_queries in workload(rng).items():
            ours_ms, engine_ms, totals = [], [], []
            for typed in typed_queries:
                totals.append(ours.search(typed, visible=VISIBLE).total)
                ours_ms += timed(lambda t=typed: ours.search(t, visible=VISIBLE), args.rounds)
                engine_query, searcher = compiled(ours, typed)
                engine_ms += timed(lambda q=engine_query, s=searcher: s.search(q, 20, count=True), args.rounds)
            p50, ref50 = statistics.median(ours_ms), statistics.median(engine_ms)
            print(f"{kind:<10}{p50:>10.2f}{percentile(ours_ms, 0.95):>8.2f}{ref50:>12.2f}{percentile(engine_ms, 0.95):>8.2f}"
                  f"{p50 / max(ref50, 1e-6):>11.1f}{statistics.median(totals):>15.0f}")
        ours.close()


if __name__ == "__main__":
    main()
