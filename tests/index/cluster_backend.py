"""The cluster backend on the session's OpenSearch node, for the contract suite
(conftest.FACTORIES) and the cluster tests. Each index folder the suite asks
for becomes its own index prefix on the node."""

from __future__ import annotations

import hashlib
from pathlib import Path

from chartdesk.index import SearchIndex, Synonyms, load_synonyms
from chartdesk.index.cluster import ClusterIndex, ClusterOptions, Connection
from chartdesk.index.cluster.opensearch_engine import OpenSearchEngine
from tests.index.cluster_node import session_node


def prefix_for(path: Path) -> str:
    return "t" + hashlib.sha1(str(path).encode()).hexdigest()[:12]


def cluster_options(prefix: str, **kw: object) -> ClusterOptions:
    """No replicas (one node), quick retries."""
    base: dict[str, object] = dict(prefix=prefix, replicas=0, retries=3, backoff=0.1)
    base.update(kw)
    return ClusterOptions(**base)  # type: ignore[arg-type]


def node_connection(url: str | None = None) -> Connection:
    return Connection(urls=(url or session_node().url,), connect_timeout=5.0, request_timeout=60.0)


def opensearch_factory(path: Path, *, writer: bool = True, synonyms: Synonyms | None = None, fuzzy: bool = True) -> SearchIndex:
    engine = OpenSearchEngine(node_connection())
    return ClusterIndex(engine, cluster_options(prefix_for(path)), writer=writer, synonyms=synonyms or load_synonyms(), fuzzy=fuzzy)
