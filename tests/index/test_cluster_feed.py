"""The index stage on the cluster backend, against real SQLite and the real
OpenSearch node: batches follow the database, `chartdesk index rebuild` swaps the
alias while searches go on, and an unreachable cluster keeps the backlog until it
answers again."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartdesk import pipeline
from chartdesk.access import SYSTEM
from chartdesk.app import open_app
from chartdesk.config import from_dict
from chartdesk.db import get_meta, set_meta, utcnow
from chartdesk.index import (
    LiveIndex,
    MatchAll,
    Not,
    expunge_removed,
    index_pending,
    open_index,
    rebuild,
    term,
)
from chartdesk.index import feed as feed_mod
from chartdesk.records import operations
from chartdesk.stages import State
from tests.index.cluster_backend import prefix_for
from tests.index.cluster_node import session_node
from tests.index.tcp_proxy import TcpProxy
from tests.index.test_feed import WORKER, Desk, add_document, change, pending, row, search_ids, seed


def cluster_desk(tmp_path: Path, url: str) -> Desk:
    config = tmp_path / "config.toml"
    config.write_text("# settings are passed as a dict\n", encoding="utf-8")
    settings = from_dict(
        {
            "paths": {"data_dir": "data"},
            "inboxes": [{"name": "faxes", "path": "inbox", "source": "fax"}],
            "pipeline": {"index_batch_size": 50, "lease_seconds": 30},
            "search": {
                "backend": "opensearch",
                "cluster": {"urls": [url], "index_prefix": prefix_for(tmp_path), "replicas": 0,
                            "retries": 1, "retry_backoff_seconds": 0.05, "connect_timeout_seconds": 2},
            },
        },
        config,
    )
    return Desk(open_app(settings, create=True), config)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    made = cluster_desk(tmp_path, session_node().url)
    yield made
    made.app.close()


def test_batches_follow_the_database(desk: Desk) -> None:
    seed(desk)
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 4
    assert pending(desk) == 0
    assert search_ids(desk, "hemoglobin") == {1, 3}
    assert search_ids(desk, "Jane Doe") == {1}
    assert search_ids(desk, "03/04/1961") == {1}
    assert search_ids(desk, "hemoglobin", visible=Not(term("chart", "restricted"))) == {1}
    assert row(desk, 1).state == State.indexed
    change(desk, 1, labels=["urgent"])
    change(desk, 3, state=State.destroyed)
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 2
    assert search_ids(desk, "label:urgent") == {1}
    assert search_ids(desk, "hemoglobin") == {1}


def test_disposal_expunges_what_the_indexer_removed(desk: Desk) -> None:
    """A destroyed document leaves the index and, on request, its stored copy too
    (the engine keeps a removed document in its segment until a merge)."""
    seed(desk)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    change(desk, 3, state=State.destroyed)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    assert search_ids(desk, "hemoglobin") == {1}
    index = open_index(desk.settings, writer=True)
    try:
        assert index.engine.deleted_docs(index.identity()) > 0, "a delete only marks the document"  # type: ignore[attr-defined]
        assert expunge_removed(desk.settings) is True
        assert index.engine.deleted_docs(index.identity()) == 0  # type: ignore[attr-defined]
        assert index.count() == 2
    finally:
        index.close()


def test_rebuild_swaps_the_alias_while_searches_go_on(desk: Desk) -> None:
    """Given 120 indexed documents and a live reader searching without pause, when
    `rebuild` runs, then every search finds all 120 (no gap, no partial index), the
    index behind the alias is a new one, and nothing waits in the backlog."""
    for i in range(1, 121):
        add_document(desk, i, [f"report {i} on asthma"])
    while index_pending(desk.db, desk.settings, worker_id=WORKER):
        pass
    live = LiveIndex.open(desk.db, desk.settings)
    before = live.index.identity()
    totals: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            totals.append(live.search("asthma", visible=MatchAll(), limit=0).total)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert rebuild(desk.db, desk.settings, batch_size=25) == 120
        time.sleep(0.3)
    finally:
        stop.set()
        watcher.join()
        live.close()
    assert len(totals) > 3 and set(totals) == {120}
    index = open_index(desk.settings, writer=False)
    try:
        assert index.identity() != before
        assert index.count() == 120
    finally:
        index.close()
    assert pending(desk) == 0


def test_changes_made_during_a_rebuild_are_not_lost(desk: Desk) -> None:
    """White-box: the new index is filled, then a document changes before the swap;
    the recorded version is the one read, so the next batch writes the change."""
    add_document(desk, 1, ["first words"])
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    live = open_index(desk.settings, writer=True)
    try:
        staged = live.begin_rebuild()  # type: ignore[attr-defined]
        written = feed_mod._fill(desk.db, staged, 10)
        change(desk, 1, labels=["urgent"])
        assert feed_mod._take_lease(desk.db, WORKER, 30)
        live.publish(staged)  # type: ignore[attr-defined]
        feed_mod._record_rebuilt(desk.db, written, live.identity())
        feed_mod._release_lease(desk.db, WORKER)
    finally:
        live.close()
    assert pending(desk) == 1
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    assert search_ids(desk, "label:urgent") == {1}


def test_an_unreachable_cluster_keeps_the_backlog_until_it_answers(tmp_path: Path) -> None:
    """Given the cluster behind a real TCP proxy that is cut, when documents reach the
    index stage, then the indexer returns at once (the workers go on), the documents
    wait in the backlog that `chartdesk status` shows, and when the connection is back
    and the pause is over, every document is indexed."""
    proxy = TcpProxy(session_node().url)
    desk = cluster_desk(tmp_path, proxy.url)
    try:
        for i in range(1, 6):
            add_document(desk, i, [f"letter {i} about migraine"])
        assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 0
        with desk.db.read() as conn:
            assert pipeline.index_backlog(conn) == 5
        report = operations.status(desk.app, SYSTEM)
        assert report.index_backlog == 5 and report.index_outage is not None
        assert "cannot" in report.index_outage.reason.lower() and report.index_outage.next_try is not None
        since = report.index_outage.since
        started = time.monotonic()
        assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 0  # paused: no waiting on the network
        assert time.monotonic() - started < 0.5
        assert operations.status(desk.app, SYSTEM).index_outage.since == since  # since the first failure
        proxy.start()
        deadline = time.monotonic() + feed_mod.FIRST_PAUSE_SECONDS + 10
        while pending(desk) and time.monotonic() < deadline:
            index_pending(desk.db, desk.settings, worker_id=WORKER)
            time.sleep(0.2)
        assert pending(desk) == 0
        assert search_ids(desk, "migraine") == set(range(1, 6))
        assert all(row(desk, i).state == State.indexed for i in range(1, 6))
        assert operations.status(desk.app, SYSTEM).index_outage is None
    finally:
        desk.app.close()
        proxy.stop()


def test_a_pause_doubles_while_the_cluster_stays_away(tmp_path: Path) -> None:
    proxy = TcpProxy(session_node().url)  # never started
    desk = cluster_desk(tmp_path, proxy.url)
    try:
        add_document(desk, 1, ["words"])
        index_pending(desk.db, desk.settings, worker_id=WORKER)
        with desk.db.read() as conn:
            first = feed_mod._parse_pause(get_meta(conn, feed_mod.UNAVAILABLE_KEY))
        with desk.db.write() as conn:  # let the first pause run out
            set_meta(conn, feed_mod.UNAVAILABLE_KEY, f"{(utcnow() - dt.timedelta(seconds=1)).isoformat()} {first[1]}")
        index_pending(desk.db, desk.settings, worker_id=WORKER)
        with desk.db.read() as conn:
            second = feed_mod._parse_pause(get_meta(conn, feed_mod.UNAVAILABLE_KEY))
        assert first[1] == feed_mod.FIRST_PAUSE_SECONDS and second[1] == 2 * first[1]
        assert pending(desk) == 1
    finally:
        desk.app.close()
