"""The two search backends side by side: tantivy (embedded) and the cluster
backend on a real OpenSearch node, on the same generated documents.

    .venv/bin/python -m bench.search_backends [--docs 100000] [--rounds 3] [--url URL]

Without --url a one-node OpenSearch (1 GB heap, the jars `make search-node`
fetched) is started for the run and stopped after it; with --url an existing
cluster is used (an index prefix of its own, deleted afterwards).

Both indexes get the same `--docs` documents from the bench corpus generator
(bench/judged/corpus.py, as bench.search_speed), through chartdesk's own
SearchIndex.add (the cluster in bulk requests of 500, one at a time). Reported:
build time and documents/s, index size (tantivy's folder; the cluster's primary
store after a refresh), and per query kind p50/p95 latency of SearchIndex.search
(20 hits with snippets, total counted) with a clinician-like access filter inside
the engine query, the cluster's own time for the same searches (the `took` it
reports: the rest is HTTP, JSON and our snippets), the cluster/tantivy ratio of
the medians, and whether both found the same number of documents for every query.

  word      one word                      phrase    a quoted phrase
  prefix    word*                         filtered  words + class: and date: typed

The machine is shared and has 2 cores: the node and this process compete for
them, which a real deployment (a cluster on its own machines) would not.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.judged.corpus import iter_fast
from bench.search_speed import VISIBLE, percentile, to_index, workload
from chartdesk.index import IndexDocument, SearchIndex, load_synonyms
from chartdesk.index.cluster import ClusterIndex, ClusterOptions, Connection
from chartdesk.index.cluster.opensearch_engine import OpenSearchEngine
from chartdesk.index.tantivy_index import TantivyIndex

KINDS = ("word", "phrase", "prefix", "filtered")
BATCH = 20_000


def documents(count: int) -> list[IndexDocument]:
    return [to_index(d) for d in iter_fast(count)]


def build(index: SearchIndex, docs: list[IndexDocument], name: str) -> float:
    started = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        index.add(docs[start : start + BATCH])
        index.commit()
        print(f"  {name}: indexed {min(start + BATCH, len(docs))}", flush=True)
    return time.perf_counter() - started


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def cluster_bytes(index: ClusterIndex) -> int:
    """The primary store of the index behind the alias (bench-only look inside)."""
    engine = index.engine
    assert isinstance(engine, OpenSearchEngine)
    stats = engine.client.indices.stats(index=index.identity(), metric="store")
    return int(stats["_all"]["primaries"]["store"]["size_in_bytes"])


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def compare(tantivy: SearchIndex, cluster: SearchIndex, rounds: int) -> None:
    queries = workload(random.Random(5))
    print(f"\n{'kind':<10}{'tantivy p50':>12}{'p95':>8}{'cluster p50':>13}{'p95':>8}{'engine p50':>12}"
          f"{'ratio p50':>11}{'hits (median)':>15}{'same totals':>13}   ms")
    for kind in KINDS:
        ours: dict[str, list[float]] = {"tantivy": [], "cluster": []}
        took: list[float] = []
        totals: list[int] = []
        same = 0
        for typed in queries[kind]:
            t_total = tantivy.search(typed, visible=VISIBLE).total
            c_total = cluster.search(typed, visible=VISIBLE).total  # also warms the cluster's caches
            totals.append(t_total)
            same += t_total == c_total
            ours["tantivy"] += timed(lambda t=typed: tantivy.search(t, visible=VISIBLE), rounds)
            for _ in range(rounds):
                ours["cluster"] += timed(lambda t=typed: cluster.search(t, visible=VISIBLE), 1)
                took.append(float(cluster.last_took_ms or 0))
        t50, c50 = statistics.median(ours["tantivy"]), statistics.median(ours["cluster"])
        print(f"{kind:<10}{t50:>12.2f}{percentile(ours['tantivy'], 0.95):>8.2f}{c50:>13.2f}"
              f"{percentile(ours['cluster'], 0.95):>8.2f}{statistics.median(took):>12.0f}{c50 / max(t50, 1e-6):>11.1f}"
              f"{statistics.median(totals):>15.0f}{same:>8}/{len(queries[kind])}")


def run(url: str, args: argparse.Namespace) -> None:
    print(f"generating {args.docs} documents", flush=True)
    docs = documents(args.docs)
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    engine = OpenSearchEngine(Connection(urls=(url,), connect_timeout=10, request_timeout=300))
    print(f"cluster: {engine.server_version()} at {url}", flush=True)
    options = ClusterOptions(prefix=prefix, replicas=0, retries=8, backoff=1.0)
    with tempfile.TemporaryDirectory(prefix="chartdesk-backends-") as tmp:
        path = Path(tmp) / "tantivy"
        tantivy = TantivyIndex(path, writer=True, synonyms=load_synonyms(), heap_bytes=200_000_000)
        cluster = ClusterIndex(engine, options, writer=True, synonyms=load_synonyms())
        try:
            t_build = build(tantivy, docs, "tantivy")
            c_build = build(cluster, docs, "cluster")
            t_size, c_size = folder_bytes(path), cluster_bytes(cluster)
            print(f"\n{'':<10}{'build s':>10}{'docs/s':>10}{'index MB':>10}{'bytes/doc':>11}")
            for name, seconds, size in (("tantivy", t_build, t_size), ("cluster", c_build, c_size)):
                print(f"{name:<10}{seconds:>10.1f}{args.docs / seconds:>10.0f}{size / 1e6:>10.1f}{size / args.docs:>11.0f}")
            tantivy.reload()
            cluster.reload()
            compare(tantivy, cluster, args.rounds)
        finally:
            tantivy.close()
            for name in engine.indices_of_alias(cluster.names.alias) + [cluster.names.lock_index]:
                engine.delete_index(name)
            cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default="", help="an existing cluster (default: start a local OpenSearch node)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if args.url:
        run(args.url, args)
        return
    # the test suite's node, started the same way
    from tests.index.cluster_node import missing_reason, start_node

    reason = missing_reason()
    if reason:
        raise SystemExit(f"cannot start an OpenSearch node: {reason}; or pass --url")
    node = start_node()
    try:
        run(node.url, args)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
