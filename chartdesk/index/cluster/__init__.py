"""The scale-out search backend: OpenSearch or Elasticsearch (part of the search room).

Shared, engine-neutral code builds the mappings (mapping), queries (dsl),
snippets, bulk writes with back-pressure and retries (bulk, retry), writer
locks (lock) and the alias with its rebuilds (index); two thin adapters
(opensearch_engine, elasticsearch_engine) make the REST calls with each
engine's official client. registry.BACKENDS selects one by search.backend.
"""

from chartdesk.index.cluster.connect import ENGINES, open_cluster_index, open_engine
from chartdesk.index.cluster.connection import Connection, connection_from
from chartdesk.index.cluster.engine import ClusterEngine, StoredDoc
from chartdesk.index.cluster.errors import ClusterRequestError, SearchUnavailableError
from chartdesk.index.cluster.index import ClusterIndex, ClusterOptions
from chartdesk.index.cluster.mapping import SCHEMA_VERSION

__all__ = [
    "ENGINES",
    "SCHEMA_VERSION",
    "ClusterEngine",
    "ClusterIndex",
    "ClusterOptions",
    "ClusterRequestError",
    "Connection",
    "SearchUnavailableError",
    "StoredDoc",
    "connection_from",
    "open_cluster_index",
    "open_engine",
]
