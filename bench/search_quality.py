"""Search quality on judged queries: nDCG@10 and recall@10.

    .venv/bin/python -m bench.search_quality [--docs 600] [--seed 7] [--no-ocr]

The corpus comes from the bench's own generator (bench/judged/corpus.py); fax
documents are rendered, degraded and read by tesseract, so their text carries
real OCR noise (cached in $TMPDIR/chartdesk-bench-ocr after the first run).
The queries and their relevance judgements are bench/judged/queries.toml,
written against the documents' facts.

Variants, all in this one command on the same documents:
  reference      bare tantivy: its query parser over a stemmed text field (BM25)
  chartdesk      our tantivy backend as configured by default
  -synonyms      without the medical synonym list
  -fuzzy         without one-typo matching
  -ocr_fold      without folding OCR confusions
  -fuzzy-fold    without either (what folding alone adds = -fuzzy minus this)
recall@10 is capped: relevant found in the top 10 / min(10, number relevant).
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tantivy

from bench.judged.corpus import CorpusDoc, make_corpus
from chartdesk.errors import UsageError
from chartdesk.index import MATCH_ALL, IndexDocument, Synonyms, load_synonyms
from chartdesk.index.tantivy_index import TantivyIndex

QUERIES = Path(__file__).parent / "judged" / "queries.toml"
K = 10
DEPTH = 200  # how deep "found at any rank" looks


@dataclass(frozen=True)
class Judged:
    id: str
    category: str
    text: str
    criteria: tuple[dict[str, object], ...]

    def grade(self, doc: CorpusDoc) -> int:
        best = 0
        for criterion in self.criteria:
            wanted = {k: v for k, v in criterion.items() if k != "grade"}
            if all(_meets(doc, key, value) for key, value in wanted.items()):
                best = max(best, int(criterion["grade"]))  # type: ignore[call-overload]
        return best


def _meets(doc: CorpusDoc, key: str, value: object) -> bool:
    options = set(value) if isinstance(value, list) else {value}
    return bool(doc.fact_values(key) & options)


def load_queries(path: Path = QUERIES) -> list[Judged]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Judged(q["id"], q["category"], q["text"], tuple(q["relevant"])) for q in raw["query"]]


def index_document(doc: CorpusDoc) -> IndexDocument:
    return IndexDocument(
        doc_id=doc.doc_id, text=doc.text, title=f"{doc.source}-{doc.doc_id:05d}.pdf", doc_class=doc.doc_class,
        source=doc.source, inbox=None, patient_id=int(doc.patient[1:]), patient_names=(doc.patient_name,),
        patient_birth_date=doc.birth, doc_date=doc.doc_date, received=doc.received, labels=(), status="filed",
        chart_restricted=False,
    )


# ---------------------------------------------------------------- metrics


def ndcg(ranked: list[int], grades: dict[int, int], k: int = K) -> float:
    dcg = sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[int], grades: dict[int, int], k: int = K) -> float:
    relevant = {d for d, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / min(k, len(relevant))


# ---------------------------------------------------------------- systems

Search = Callable[[str], list[int]]


def reference_system(docs: list[CorpusDoc], folder: Path) -> Search:
    """Bare tantivy: stemmed text field, its own lenient query parser (OR of terms)."""
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("doc_id", stored=True, indexed=True)
    sb.add_text_field("text", tokenizer_name="en_stem")
    schema = sb.build()
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=30_000_000, num_threads=1)
    for doc in docs:
        writer.add_document(tantivy.Document(doc_id=doc.doc_id, text=doc.text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()

    def search(text: str) -> list[int]:
        query, _errors = index.parse_query_lenient(text, ["text"])
        searcher = index.searcher()
        return [searcher.doc(a)["doc_id"][0] for _, a in searcher.search(query, DEPTH).hits]

    return search


def chartdesk_system(folder: Path, *, synonyms: Synonyms, fuzzy: bool, fold_ocr: bool) -> Search:
    index = TantivyIndex(folder, writer=False, synonyms=synonyms, fuzzy=fuzzy, fold_ocr=fold_ocr)

    def search(text: str) -> list[int]:
        try:
            return index.search(text, visible=MATCH_ALL, limit=DEPTH).doc_ids
        except UsageError:
            return []

    return search


def build_chartdesk(docs: list[CorpusDoc], folder: Path) -> float:
    started = time.perf_counter()
    index = TantivyIndex(folder, writer=True, synonyms=load_synonyms())
    index.add(index_document(d) for d in docs)
    index.commit()
    index.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------- report


def evaluate_system(search: Search, queries: list[Judged], judgements: list[dict[int, int]], faxes: set[int]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for q, grades in zip(queries, judgements, strict=True):
        ranked = search(q.text)
        relevant_faxes = {d for d in grades if d in faxes}
        found = len(relevant_faxes & set(ranked)) / len(relevant_faxes) if relevant_faxes else float("nan")
        rows[q.id] = {"ndcg": ndcg(ranked, grades), "recall": recall(ranked, grades), "fax_found": found}
    return rows


def _mean(rows: dict[str, dict[str, float]], metric: str, ids: list[str] | None = None) -> float:
    keys = ids if ids is not None else list(rows)
    values = [rows[i][metric] for i in keys if not math.isnan(rows[i][metric])]
    return statistics.fmean(values) if values else 0.0


def report(results: dict[str, dict[str, dict[str, float]]], queries: list[Judged]) -> None:
    ref = results["reference"]
    print(f"\n{'system':<14}{'nDCG@10':>9}{'recall@10':>11}{'nDCG/ref':>10}{'faxes found':>13}")
    for name, rows in results.items():
        print(f"{name:<14}{_mean(rows, 'ndcg'):>9.3f}{_mean(rows, 'recall'):>11.3f}"
              f"{_mean(rows, 'ndcg') / max(_mean(ref, 'ndcg'), 1e-9):>10.2f}{_mean(rows, 'fax_found'):>13.3f}")
    print(f"(faxes found: share of the relevant OCR'd faxes retrieved at any rank up to {DEPTH}, mean over queries)")
    categories: dict[str, list[str]] = defaultdict(list)
    for q in queries:
        categories[q.category].append(q.id)
    print(f"\nnDCG@10 by category ({len(queries)} queries)")
    names = list(results)
    print(f"{'category':<10}{'n':>3}" + "".join(f"{n:>12}" for n in names))
    for cat, ids in sorted(categories.items()):
        print(f"{cat:<10}{len(ids):>3}" + "".join(f"{_mean(results[n], 'ndcg', ids):>12.3f}" for n in names))
    ours = results["chartdesk"]
    for name in names[2:]:
        changed = [f"{q.id} {ours[q.id]['ndcg'] - results[name][q.id]['ndcg']:+.2f}" for q in queries if abs(ours[q.id]["ndcg"] - results[name][q.id]["ndcg"]) > 0.005]
        print(f"nDCG@10 of chartdesk minus {name}, where they differ ({len(changed)}): " + ", ".join(changed[:12]))
    worst = sorted(queries, key=lambda q: ours[q.id]["ndcg"])[:8]
    print("\nweakest queries for chartdesk (nDCG@10, recall@10):")
    for q in worst:
        print(f"  {q.id} {q.text!r:<34} {ours[q.id]['ndcg']:.3f} {ours[q.id]['recall']:.3f}  (reference {ref[q.id]['ndcg']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-ocr", action="store_true", help="faxes without real OCR noise")
    args = parser.parse_args()

    started = time.perf_counter()
    docs = make_corpus(args.docs, args.seed, ocr=not args.no_ocr)
    print(f"corpus: {len(docs)} documents ({sum(d.noisy for d in docs)} faxes through tesseract) in {time.perf_counter() - started:.1f}s")
    queries = load_queries()
    judgements = [{d.doc_id: g for d in docs if (g := q.grade(d)) > 0} for q in queries]
    empty = [q.id for q, j in zip(queries, judgements, strict=True) if not j]
    print(f"queries: {len(queries)} judged; relevant per query median {statistics.median(len(j) for j in judgements):.0f}" + (f"; NO relevant docs: {empty}" if empty else ""))

    with tempfile.TemporaryDirectory(prefix="chartdesk-quality-") as tmp:
        root = Path(tmp)
        print(f"chartdesk index built in {build_chartdesk(docs, root / 'ours'):.2f}s")
        syn = load_synonyms()
        systems: dict[str, Search] = {
            "reference": reference_system(docs, _mkdir(root / "reference")),
            "chartdesk": chartdesk_system(root / "ours", synonyms=syn, fuzzy=True, fold_ocr=True),
            "-synonyms": chartdesk_system(root / "ours", synonyms=Synonyms(), fuzzy=True, fold_ocr=True),
            "-fuzzy": chartdesk_system(root / "ours", synonyms=syn, fuzzy=False, fold_ocr=True),
            "-ocr_fold": chartdesk_system(root / "ours", synonyms=syn, fuzzy=True, fold_ocr=False),
            "-fuzzy-fold": chartdesk_system(root / "ours", synonyms=syn, fuzzy=False, fold_ocr=False),
        }
        faxes = {d.doc_id for d in docs if d.noisy}
        results = {name: evaluate_system(search, queries, judgements, faxes) for name, search in systems.items()}
    report(results, queries)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    main()
