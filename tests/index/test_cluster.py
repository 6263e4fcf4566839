"""The cluster backend's own behaviour on the real OpenSearch node, beyond the
shared contract suite: rebuilding beside the live index without a gap, points in
time that survive a swap, disposal that expunges, another schema, writer locks,
an unreachable or busy cluster, and the engine that does not match the cluster."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chartdesk.errors import ConfigError, ConflictError
from chartdesk.index import MatchAll, load_synonyms
from chartdesk.index.cluster import ClusterIndex, SearchUnavailableError
from chartdesk.index.cluster.elasticsearch_engine import ElasticsearchEngine
from chartdesk.index.cluster.errors import Unreachable
from chartdesk.index.cluster.lock import WriterLock
from chartdesk.index.cluster.mapping import index_body
from chartdesk.index.cluster.naming import Names
from chartdesk.index.cluster.opensearch_engine import OpenSearchEngine
from chartdesk.index.cluster.retry import RetryPolicy
from tests.index.cluster_backend import cluster_options, node_connection, prefix_for
from tests.index.cluster_node import session_node
from tests.index.corpus import doc
from tests.index.tcp_proxy import TcpProxy


def open_cluster(prefix: str, *, writer: bool = True, engine: Any = None, **options: object) -> ClusterIndex:
    return ClusterIndex(
        engine or OpenSearchEngine(node_connection()), cluster_options(prefix, **options),
        writer=writer, synonyms=load_synonyms(),
    )


@pytest.fixture
def prefix(tmp_path: Path) -> str:
    session_node()
    return prefix_for(tmp_path)


@pytest.fixture
def writer(prefix: str) -> Iterator[ClusterIndex]:
    index = open_cluster(prefix)
    yield index
    index.close()


def texts(n: int, word: str, start: int = 1) -> list:  # noqa: ANN201
    return [doc(i, f"note {i} mentions {word}") for i in range(start, start + n)]


# ---------------------------------------------------------------- views


def test_a_reader_whose_index_was_replaced_reopens_on_the_alias(writer: ClusterIndex, prefix: str) -> None:
    writer.add(texts(3, "alpha"))
    writer.commit()
    reader = open_cluster(prefix, writer=False)
    try:
        assert reader.search("alpha", visible=MatchAll()).total == 3
        writer.clear()  # a new index behind the alias; the reader's index is deleted
        writer.add(texts(2, "gamma"))
        writer.commit()
        assert reader.search("gamma", visible=MatchAll()).total == 2
    finally:
        reader.close()


# ---------------------------------------------------------------- schema


def test_an_index_of_another_schema_is_replaced_by_a_writer_and_refused_to_readers(prefix: str) -> None:
    names = Names(prefix)
    engine = OpenSearchEngine(node_connection())
    engine.create_index(f"{names.alias}-s0-old", index_body(shards=1, replicas=0, aliases=(names.alias,)))
    with pytest.raises(ConflictError):
        open_cluster(prefix, writer=False)
    index = open_cluster(prefix)
    try:
        assert index.identity() != f"{names.alias}-s0-old"
        assert engine.indices_of_alias(names.alias) == [index.identity()]
    finally:
        index.close()
        engine.close()


# ---------------------------------------------------------------- writer lock


def test_an_expired_lock_is_taken_over_and_a_live_one_is_not(writer: ClusterIndex, prefix: str) -> None:
    names = Names(prefix)
    policy = RetryPolicy(retries=1, backoff=0.05)
    dead = WriterLock(writer.engine, names.lock_index, names.alias, policy, seconds=3.0)
    dead.acquire()  # a writer that then dies without releasing
    with pytest.raises(ConflictError):
        writer.add(texts(1, "alpha"))
    time.sleep(3.2)
    writer.add(texts(1, "alpha"))
    writer.commit()
    assert writer.count() == 1


# ---------------------------------------------------------------- an unreachable or busy cluster


def test_an_unreachable_cluster_is_a_clear_error_and_loses_nothing(prefix: str) -> None:
    """Given a writer whose connection is cut (a real TCP proxy, stopped), when it
    commits, then it says the cluster cannot be reached; once the proxy is back and
    the lock it could not give back has expired, a new writer writes everything (the
    caller kept the documents)."""
    proxy = TcpProxy(session_node().url)
    proxy.start()
    index = open_cluster(
        prefix, engine=OpenSearchEngine(node_connection(proxy.url)), retries=2, backoff=0.05, lock_seconds=2.0,
    )
    try:
        index.add(texts(5, "alpha"))
        proxy.stop()
        with pytest.raises(SearchUnavailableError) as failed:
            index.commit()
        assert "cannot be reached" in str(failed.value) and failed.value.remedy
    finally:
        index.close()
    proxy.start()
    again = open_cluster(prefix, engine=OpenSearchEngine(node_connection(proxy.url)))
    try:
        with pytest.raises(ConflictError):
            again.add(texts(5, "alpha"))
        time.sleep(2.2)
        again.add(texts(5, "alpha"))
        again.commit()
        assert again.search("alpha", visible=MatchAll()).total == 5
    finally:
        again.close()
        proxy.stop()


class BusyEngine(OpenSearchEngine):
    """Fault injected at the engine seam (a node answering 429 needs its write queue
    or indexing-pressure memory full, which one small test node cannot be made to do
    reliably): the first bulk request is refused whole with 429; the second is sent
    for its first half only and its second half answered 429 item by item, as the
    cluster does when its queue fills mid-request."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.calls = 0

    def bulk(self, operations: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise Unreachable("queue full", status=429, kind="rejected_execution_exception")
        if self.calls == 2:
            pairs = [operations[i : i + 2] for i in range(0, len(operations), 2)]
            half = len(pairs) // 2
            answer = super().bulk([line for pair in pairs[:half] for line in pair])
            busy = [{"index": {"_id": p[0]["index"]["_id"], "status": 429, "error": {"type": "es_rejected_execution_exception"}}} for p in pairs[half:]]
            return {"errors": True, "items": answer["items"] + busy}
        return super().bulk(operations)


def test_a_busy_cluster_gets_the_refused_documents_again(prefix: str) -> None:
    engine = BusyEngine(node_connection())
    index = open_cluster(prefix, engine=engine, retries=3, backoff=0.01, bulk_documents=10)
    try:
        index.add(texts(10, "alpha"))
        index.commit()
        assert index.search("alpha", visible=MatchAll()).total == 10
        assert engine.calls == 3
    finally:
        index.close()


def test_a_cluster_that_stays_busy_is_unavailable_after_the_retries(prefix: str) -> None:
    class AlwaysBusy(OpenSearchEngine):
        def bulk(self, operations: Any) -> dict[str, Any]:
            raise Unreachable("queue full", status=429)

    index = open_cluster(prefix, engine=AlwaysBusy(node_connection()), retries=2, backoff=0.01)
    try:
        index.add(texts(3, "alpha"))
        with pytest.raises(SearchUnavailableError) as failed:
            index.commit()
        assert "too busy" in str(failed.value)
    finally:
        index.close()


# ---------------------------------------------------------------- engines


def test_the_elasticsearch_engine_refuses_an_opensearch_cluster_with_a_config_error(prefix: str) -> None:
    """The Elasticsearch client checks the product it talks to: choosing
    "elasticsearch" for an OpenSearch cluster is a setting to correct."""
    with pytest.raises(ConfigError) as wrong:
        open_cluster(prefix, engine=ElasticsearchEngine(node_connection()))
    assert "search.backend" in wrong.value.remedy


def test_the_elasticsearch_engine_reports_an_unreachable_cluster(prefix: str) -> None:
    proxy = TcpProxy(session_node().url)  # never started: connection refused
    with pytest.raises(SearchUnavailableError):
        open_cluster(prefix, engine=ElasticsearchEngine(node_connection(proxy.url)), retries=1, backoff=0.01)


def test_server_version(writer: ClusterIndex) -> None:
    assert writer.engine.server_version().startswith("opensearch 2.")


def test_no_patient_text_reaches_the_logs(writer: ClusterIndex, caplog: pytest.LogCaptureFixture) -> None:
    """Even at DEBUG, neither chartdesk nor the client library logs what was indexed or searched."""
    caplog.set_level(logging.DEBUG)
    # An earlier test may have run the CLI's logging set-up, which quiets urllib3;
    # open it again. (The client libraries' own loggers keep the level the
    # adapters give them: that is the protection under test.)
    for name in ("urllib3", "chartdesk"):
        caplog.set_level(logging.DEBUG, logger=name)
    writer.add([doc(1, "Zanzibarian wellness letter for the patient")])
    writer.commit()
    writer.search("zanzibarian", visible=MatchAll())
    writer.search('"wellness letter"', visible=MatchAll())
    assert caplog.records, "something was logged"
    assert "anzibarian" not in caplog.text.lower() and "wellness" not in caplog.text.lower()
