"""Retention at scale: computing every document's disposition and the plan on a
large installation, against reading the same rows with one bare SELECT.

    .venv/bin/python -m bench.retention_bench [--documents 100000] [--repeats 3]

Builds a synthetic installation (documents, patients with birth dates and
encounters, a patient hold and a search hold) in a temp folder with the real
schema, then times, as medians of `--repeats` runs:
  reference   SELECT of the columns the schedule reads, every row fetched
  first       refresh_schedule on an empty schedule (every row computed and written)
  unchanged   refresh_schedule when nothing changed (every row computed, none written)
  plan        compute_plan (refresh, due rows, holds evaluated on the due documents)
and prints each as seconds and as a ratio to the reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, insert, select

from chartdesk import audit, retention
from chartdesk.access import SYSTEM
from chartdesk.app import open_app
from chartdesk.config import from_dict
from chartdesk.db import documents, encounters, pages, patients, retention_schedule, utcnow

CLASSES = ("lab_result", "progress_note", "insurance_card", "explanation_of_benefits", "consent_form",
           "fax_cover_sheet", "superbill", "referral_letter")


def build(root: Path, n_docs: int, seed: int = 7):  # type: ignore[no-untyped-def]
    settings = from_dict({"paths": {"data_dir": str(root / "data")},
                          "inboxes": [{"name": "scans", "path": str(root / "inbox"), "source": "scan"}]},
                         root / "config.toml")
    app = open_app(settings, create=True)
    audit.ensure_ready(settings, app.db)
    rng = random.Random(seed)
    n_patients = max(1, n_docs // 5)
    now = utcnow()
    with app.db.write() as conn:
        conn.execute(insert(patients), [
            {"mrn": f"{100000 + i}", "family_name": f"Family{i}", "given_name": f"Given{i}",
             "birth_date": dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(32000)), "restricted": 0,
             "source": "csv", "created_at": now, "updated_at": now} for i in range(n_patients)])
        conn.execute(insert(encounters), [
            {"patient_id": 1 + rng.randrange(n_patients), "start_date": dt.date(2000, 1, 1) +
             dt.timedelta(days=rng.randrange(9000)), "kind": "visit", "status": "finished", "source": "csv"}
            for _ in range(n_patients * 2)])
        rows = []
        for i in range(n_docs):
            received = dt.datetime(2000, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randrange(9500))
            rows.append({"sha256": f"{i:064x}", "size_bytes": 1000, "media_type": "application/pdf", "kind": "pdf",
                         "original_name": "scan.pdf", "source": "scan", "received_at": received, "state": "indexed",
                         "flags": {"labelled": True}, "doc_class": rng.choice(CLASSES),
                         "patient_id": 1 + rng.randrange(n_patients), "doc_date": received.date(), "labels": [],
                         "updated_at": now, "index_version": 1, "indexed_version": 1})
        conn.execute(insert(documents), rows)
        conn.execute(insert(pages), [{"document_id": i + 1, "page_no": 1, "method": "text_layer",
                                      "text": f"visit note {i} blood pressure follow up"} for i in range(n_docs)])
    retention.place_hold(app, SYSTEM, matter="bench matter", reason="bench hold", patient_id=3)
    retention.place_hold(app, SYSTEM, matter="bench matter", reason="bench hold", query='"blood pressure" AND 77*')
    return app, settings


def median_seconds(fn: Callable[[], object], repeats: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeats):
        if before:
            before()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app, settings = build(Path(tmp), args.documents)
        print(f"built {args.documents} documents in {time.perf_counter() - started:.1f} s")
        today = dt.date.today()

        def reference() -> int:
            with app.db.read() as conn:
                return len(conn.execute(select(documents.c.id, documents.c.doc_class, documents.c.patient_id,
                                               documents.c.state, documents.c.doc_date,
                                               documents.c.received_at)).all())

        def empty_schedule() -> None:
            with app.db.write() as conn:
                conn.execute(delete(retention_schedule))

        ref = median_seconds(reference, args.repeats)
        first = median_seconds(lambda: retention.refresh_schedule(app.db, settings), args.repeats, empty_schedule)
        unchanged = median_seconds(lambda: retention.refresh_schedule(app.db, settings), args.repeats)
        found: list[retention.Plan] = []
        plan = median_seconds(lambda: found.append(retention.compute_plan(app.db, settings, today=today)),
                              args.repeats)
        p = found[-1]
        print(f"plan: {len(p.destroy)} to destroy, {len(p.review)} to review, {len(p.held)} held")
        print(f"{'step':<12}{'median s':>10}{'x reference':>14}")
        for name, value in (("reference", ref), ("first", first), ("unchanged", unchanged), ("plan", plan)):
            print(f"{name:<12}{value:>10.3f}{value / ref:>14.1f}")
        app.close()


if __name__ == "__main__":
    main()
