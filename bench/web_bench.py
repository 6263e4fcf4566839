"""Search page latency under concurrent logged-in users, against the bare backend.

    .venv/bin/python -m bench.web_bench [--docs 100000] [--users 20] [--requests 40] [--busy 400] [--think 2]

1. An installation in a temp folder with `--docs` documents (the search-speed
   corpus, bench/judged/corpus.py): their database rows, pages and patients,
   and the tantivy index built from the same documents.
2. `chartdesk serve` (its own process, as in production) and `--users`
   clinicians logged in over HTTP, each with its own keep-alive connection.
3. Two worker processes (service.WorkerPool, at the configured
   pipeline.worker_nice) busy ingesting `--busy` scanned documents (OCR,
   classification, matching, index writes); each row says how many were still
   queued when it ended, and one that ran with idle workers is flagged (web
   and bare rows must both be timed while the workers are busy).
4. Timed, in the same run, with the same queries (a mix of words, phrases,
   prefixes, names, dates, synonyms and typos):
     web    GET /search?q=... as seen by the users: HTTP, session and CSRF-free
            GET, the principal loaded, the access policy's filter inside the
            engine query, 20 hits with snippets, the page rendered, and the
            Search audit event written (a write transaction on the chain);
     bare   SearchIndex.search with the same access filter in this process:
            no HTTP, no session, no page, no audit event.
   Each with all users at once and with one user alone. Reported: p50, p95,
   max and requests per second, and the ratio web/bare. At the end the audit
   log is counted: one Search event per result page shown, or the run fails.
Goal: web p95 under 25 ms for 20 users. Takes a few minutes; the CPU is shared.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

from bench.judged.corpus import ROSTER, CorpusDoc, iter_fast
from bench.search_speed import workload
from chartdesk import access, audit
from chartdesk.app import App, open_app
from chartdesk.config import Settings, load
from chartdesk.db import audit_events, documents, pages, patients, set_meta, utcnow
from chartdesk.index import IndexDocument, LiveIndex
from chartdesk.index.synonyms import load_synonyms
from chartdesk.index.tantivy_index import TantivyIndex
from chartdesk.ingest import take
from chartdesk.service import WorkerPool

REPO = Path(__file__).resolve().parent.parent
BATCH = 20_000
PASSWORD = "bench user password 1"
RESTRICTED_PATIENT = "p07"  # one chart of forty is restricted
GOAL_P95_MS = 25.0


# ---------------------------------------------------------------- the installation


CONFIG = """\
[paths]
data_dir = "data"
[[inboxes]]
name = "scans"
path = "inbox/scans"
source = "scan"
[pipeline]
workers = 2
lease_seconds = 30
[classify]
seed_per_class = 20
[access.login]
argon2_time_cost = 1
argon2_memory_kib = 8192
[web]
port = {port}
"""


def install(root: Path, port: int) -> Settings:
    (root / "config.toml").write_text(CONFIG.format(port=port))
    settings = load(root / "config.toml")
    app = open_app(settings, create=True)
    audit.ensure_ready(settings, app.db)
    app.close()
    return settings


def add_users(app: App, count: int) -> list[str]:
    actor = dataclasses.replace(access.SYSTEM, client="bench")
    names = [f"clinician{i:02d}" for i in range(count)]
    with app.db.write() as conn:
        for name in names:
            access.add_user(conn, actor, app.settings.access, username=name, role="clinician", password=PASSWORD,
                            temporary=False)
    return names


def add_patients(app: App) -> dict[str, int]:
    ids = {}
    now = utcnow()
    with app.db.write() as conn:
        for pid, given, middle, family, born in ROSTER:
            ids[pid] = int(conn.execute(insert(patients).values(
                mrn=f"{1000 + len(ids)}", family_name=family, given_name=given, middle_name=middle, birth_date=born,
                restricted=int(pid == RESTRICTED_PATIENT), source="manual", created_at=now,
                updated_at=now)).inserted_primary_key[0])
    return ids


def labels_of(doc: CorpusDoc) -> tuple[str, ...]:
    return ("substance_use_disorder",) if doc.doc_id % 53 == 0 else ()


def add_documents(app: App, index: TantivyIndex, count: int, patient_ids: dict[str, int]) -> None:
    """Rows, pages and index entries of the corpus, as the pipeline leaves filed documents."""
    stream: Iterator[CorpusDoc] = iter_fast(count)
    done = 0
    while done < count:
        chunk = [d for _, d in zip(range(BATCH), stream, strict=False)]
        with app.db.write() as conn:
            conn.execute(insert(documents), [_row(d, patient_ids) for d in chunk])
            conn.execute(insert(pages), [{"document_id": d.doc_id, "page_no": 1, "text": d.text,
                                          "method": "text_layer", "info": {}} for d in chunk])
        index.add(_entry(d, patient_ids) for d in chunk)
        index.commit()
        done += len(chunk)
        print(f"  {done} documents", flush=True)


def _row(doc: CorpusDoc, patient_ids: dict[str, int]) -> dict[str, object]:
    received = dt_at(doc.received)
    return {"id": doc.doc_id, "sha256": f"{doc.doc_id:064x}", "size_bytes": len(doc.text), "media_type": "application/pdf",
            "kind": "pdf", "original_name": f"{doc.source}-{doc.doc_id:06d}.pdf", "source": doc.source, "inbox": None,
            "received_at": received, "state": "indexed", "stage": None, "attempts": 0, "generation": 1,
            "flags": {"labelled": True}, "page_count": 1, "doc_class": doc.doc_class, "class_confidence": 0.95,
            "patient_id": patient_ids[doc.patient], "doc_date": doc.doc_date, "labels": list(labels_of(doc)),
            "index_version": 1, "indexed_version": 1, "updated_at": received}


def dt_at(day: object) -> object:
    import datetime as dt

    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)  # type: ignore[arg-type]


def _entry(doc: CorpusDoc, patient_ids: dict[str, int]) -> IndexDocument:
    return IndexDocument(
        doc_id=doc.doc_id, text=doc.text, title=f"{doc.source}-{doc.doc_id:06d}.pdf", doc_class=doc.doc_class,
        source=doc.source, inbox=None, patient_id=patient_ids[doc.patient], patient_names=(doc.patient_name,),
        patient_birth_date=doc.birth, doc_date=doc.doc_date, received=doc.received, labels=labels_of(doc),
        status="filed", chart_restricted=doc.patient == RESTRICTED_PATIENT,
    )


def build(settings: Settings, count: int) -> float:
    app = open_app(settings)
    index = TantivyIndex(settings.index_dir / "tantivy", writer=True, synonyms=load_synonyms(),
                         heap_bytes=200_000_000)
    started = time.perf_counter()
    add_documents(app, index, count, add_patients(app))
    index.close()
    with app.db.write() as conn:  # the feed must take this index as its own, not rebuild it
        set_meta(conn, "index_identity", index.identity())
        set_meta(conn, "index_generation", "1")
    app.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------- busy workers


def queue_scans(settings: Settings, folder: Path, count: int) -> int:
    """Scanned letters and notes waiting for OCR (made with the test generators)."""
    from tests.gen import make_document, scan

    folder.mkdir(parents=True, exist_ok=True)
    app = open_app(settings)
    kinds = ["referral_letter", "progress_note", "lab_result", "discharge_summary"]
    taken = 0
    for seed in range(count):
        built = scan(make_document(kinds[seed % len(kinds)], 500 + seed), folder / f"scan-{seed}.pdf", dpi=200,
                     seed=seed)
        if take(app, built.path, inbox=None, source="scan", remove=True).document_id is not None:
            taken += 1
    app.close()
    return taken


def pending(settings: Settings) -> int:
    app = open_app(settings)
    try:
        with app.db.read() as conn:
            return len(conn.execute(select(documents.c.id).where(documents.c.stage.is_not(None))).all())
    finally:
        app.close()


# ---------------------------------------------------------------- load


def queries(seed: int = 5) -> list[str]:
    mix = [q for group in workload(random.Random(seed)).values() for q in group]
    random.Random(seed).shuffle(mix)
    return mix


def run_users(users: int, each: int, request: Callable[[int, str], None], *,
              think: float) -> tuple[list[float], float]:
    """`users` threads, each sending `each` requests with a random pause of `think`
    seconds on average before each (0: back to back); latencies (ms) and wall seconds."""
    mix = queries()
    latencies: list[list[float]] = [[] for _ in range(users)]
    barrier = threading.Barrier(users)

    def user(n: int) -> None:
        pauses = random.Random(n)
        barrier.wait()
        for i in range(each):
            if think:
                time.sleep(pauses.expovariate(1 / think))
            typed = mix[(n * each + i) % len(mix)]
            started = time.perf_counter()
            request(n, typed)
            latencies[n].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [ms for per_user in latencies for ms in per_user], time.perf_counter() - started


def web_requester(base: str, names: list[str]) -> tuple[Callable[[int, str], None], list[httpx.Client], list[int]]:
    """One client per user, logged in; also the count of result pages (200) each got."""
    clients = [httpx.Client(base_url=base, timeout=30, follow_redirects=True) for _ in names]
    for client, name in zip(clients, names, strict=True):
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        assert "Log out" in response.text, "a bench user could not log in"

    answered = [0] * len(names)

    def request(n: int, typed: str) -> None:
        response = clients[n].get("/search", params={"q": typed})
        if response.status_code not in (200, 400):
            raise RuntimeError(f"search page answered {response.status_code}")
        answered[n] += response.status_code == 200

    return request, clients, answered


def bare_requester(settings: Settings, names: list[str]) -> tuple[Callable[[int, str], None], LiveIndex]:
    app = open_app(settings)
    live = LiveIndex.open(app.db, settings)
    with app.db.read() as conn:
        principals = [access.load_principal(conn, settings.access, _user_id(conn, n), client="bench") for n in names]
        scopes = [access.search_scope(conn, p) for p in principals if p is not None]

    def request(n: int, typed: str) -> None:
        try:
            live.search(typed, visible=scopes[n], limit=20)
        except Exception as exc:  # noqa: BLE001 - a query the grammar refuses is an answer too
            if type(exc).__name__ != "UsageError":
                raise

    return request, live


def _user_id(conn: object, name: str) -> int:
    from chartdesk.db import users

    return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())  # type: ignore[attr-defined]


def summary(label: str, users: int, latencies: list[float], seconds: float, queued: int) -> dict[str, float]:
    """One row; `queued` is the scans still waiting for the workers when it ended
    (0: they may have been idle for part of it, which the row says)."""
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    row = {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1], "rps": len(ordered) / seconds}
    print(f"{label:<24}{users:>6}{len(ordered):>10}{row['p50']:>9.1f}{row['p95']:>9.1f}{row['max']:>9.1f}"
          f"{row['rps']:>9.0f}{queued:>9}{'  workers ran dry' if not queued else ''}", flush=True)
    return row


def search_events(settings: Settings) -> int:
    app = open_app(settings)
    try:
        with app.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_events)
                                    .where(audit_events.c.action == audit.Search.action)).scalar_one())
    finally:
        app.close()


# ---------------------------------------------------------------- main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="requests per user")
    parser.add_argument("--busy", type=int, default=400, help="scanned documents the two workers ingest meanwhile")
    parser.add_argument("--think", type=float, default=2.0,
                        help="seconds a user pauses between searches, on average (the saturation rows use 0)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    with tempfile.TemporaryDirectory(prefix="chartdesk-web-bench-") as tmp:
        root = Path(tmp)
        port = free_port()
        settings = install(root, port)
        print(f"building {args.docs} documents (rows, pages, index)...", flush=True)
        seconds = build(settings, args.docs)
        app = open_app(settings)
        names = add_users(app, args.users)
        app.close()
        print(f"built in {seconds:.0f}s; queueing {args.busy} scans for the workers...", flush=True)
        queued = queue_scans(settings, root / "drop", args.busy)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(REPO)}
        with (root / "server.log").open("wb") as server_log:  # a pipe nobody reads would stall the server
            server = subprocess.Popen([sys.executable, "-m", "chartdesk", "--config", str(root / "config.toml"),
                                       "serve"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=server_log)
        pool = WorkerPool(settings, count=2)
        try:
            wait_for(f"http://127.0.0.1:{port}/login")
            web, clients, answered = web_requester(f"http://127.0.0.1:{port}", names)
            bare, live = bare_requester(settings, names)
            for n in range(args.users):  # warm both paths (index readers, templates, connections)
                web(n, "metformin")
                bare(n, "metformin")
            if queued:
                pool.start()
                time.sleep(5)  # the workers claim their first scans
            before, audited, shown = pending(settings), search_events(settings), sum(answered)
            print(f"\nworkers: {'2 busy' if queued else 'none (--busy 0)'} at niceness "
                  f"+{settings.pipeline.worker_nice}; {before} of {queued} scans still to process when timing starts")
            print(f"\n{'':<24}{'users':>6}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'req/s':>9}"
                  f"{'queued':>9}")
            results, labels = {}, []
            for users, think, label in ((args.users, args.think, f"think {args.think:g}s"), (1, 0.0, "alone"),
                                        (args.users, 0.0, "saturation")):
                each = args.requests if users > 1 else args.requests * 3
                labels.append(label)
                for side, request in (("web", web), ("bare", bare)):
                    timed = run_users(users, each, request, think=think)
                    results[(side, label)] = summary(f"{side:<5}{'page' if side == 'web' else 'index':<6}{label}",
                                                     users, *timed, pending(settings))
            after = pending(settings)
            print(f"\nworkers: {before - after} scans processed while timing, {after} still queued at the end"
                  + ("" if after else " (the workers ran out of work: use a larger --busy)"))
            logged, shown = search_events(settings) - audited, sum(answered) - shown
            print(f"audit: {logged} Search events for {shown} result pages shown")
            if logged != shown:
                raise SystemExit("the audit log does not hold one Search event per result page")
            for label in labels:
                w, b = results[("web", label)], results[("bare", label)]
                print(f"ratio web/bare ({label}): p50 {w['p50'] / b['p50']:.1f}x, p95 {w['p95'] / b['p95']:.1f}x")
            p95 = results[("web", f"think {args.think:g}s")]["p95"]
            verdict = "met" if p95 < GOAL_P95_MS else "NOT met"
            print(f"goal: web p95 < {GOAL_P95_MS:.0f} ms with {args.users} users pausing {args.think:g}s: {verdict} "
                  f"({p95:.1f} ms)")
            for client in clients:
                client.close()
            live.close()
        finally:
            pool.stop(timeout=10)
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
