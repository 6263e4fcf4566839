"""When a worker writes finished documents to the search index: at once when it
has nothing else to run, in one batch for many documents while stages are still
due (one commit instead of one a document). Real pipeline, SQLite and tantivy.

The only thing patched is pipeline.INDEX_DELAY_SECONDS, set to an hour: it takes
the clock out of the decision, so what is tested (idle -> at once, full batch ->
at once) does not depend on how fast this machine runs the stages. No component
is replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import pipeline
from chartdesk.app import App, open_app
from chartdesk.db import documents
from chartdesk.ingest import take
from tests.conftest import make_settings, run_pipeline
from tests.gen import FixtureCache


def _letters(app: App, gen: FixtureCache, count: int) -> list[int]:
    return [take(app, gen.build("born_digital", kind="referral_letter", seed=60 + i).path, inbox=None,
                 remove=False).document_id or 0 for i in range(count)]


def _steps(app: App) -> list[str]:
    steps: list[str] = []
    with app.db.read() as conn:
        ids = list(conn.execute(select(documents.c.id)).scalars())

    def left() -> bool:
        with app.db.read() as conn:
            return bool(pipeline.pending_ids(conn, ids))

    pipeline.work(app, until=lambda: not left(), on_step=steps.append)
    return steps


def _all_searchable(app: App, ids: list[int]) -> bool:
    with app.db.read() as conn:
        rows = conn.execute(select(documents.c.stage, documents.c.index_version, documents.c.indexed_version)
                            .where(documents.c.id.in_(ids))).all()
    return len(rows) == len(ids) and all(r.stage is None and r.indexed_version >= r.index_version > 0 for r in rows)


def test_documents_finished_while_others_wait_share_one_index_commit(tmp_path: Path, gen: FixtureCache,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Given five letters and a worker whose index delay has not run out, when it
    works them through, then it indexes once, when no stage is left to run, and
    every letter is searchable."""
    monkeypatch.setattr(pipeline, "INDEX_DELAY_SECONDS", 3600.0)  # the delay never decides here
    app = open_app(make_settings(tmp_path), create=True)
    ids = _letters(app, gen, 5)
    steps = _steps(app)
    assert steps.count("indexed") == 1 and steps[-1] == "indexed"
    assert _all_searchable(app, ids)


def test_a_full_batch_is_indexed_without_waiting(tmp_path: Path, gen: FixtureCache,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "INDEX_DELAY_SECONDS", 3600.0)
    app = open_app(make_settings(tmp_path, pipeline={"index_batch_size": 2}), create=True)
    ids = _letters(app, gen, 5)
    steps = _steps(app)
    first = steps.index("indexed")
    assert steps[:first].count("done") < 5 * 4, "the first batch waited for every stage"
    assert steps.count("indexed") >= 3  # 2 + 2 + 1
    assert _all_searchable(app, ids)


def test_an_idle_worker_indexes_a_finished_document_at_once(tmp_path: Path, gen: FixtureCache,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "INDEX_DELAY_SECONDS", 3600.0)
    app = open_app(make_settings(tmp_path), create=True)
    ids = _letters(app, gen, 1)
    assert _steps(app)[-2:] == ["done", "indexed"]
    assert _all_searchable(app, ids)
    run_pipeline(app)  # nothing left
