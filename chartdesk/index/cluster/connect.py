"""The cluster backends by engine name, and opening one from the settings."""

from __future__ import annotations

from collections.abc import Callable

from chartdesk.config import Settings
from chartdesk.index.cluster.connection import Connection, connection_from
from chartdesk.index.cluster.engine import ClusterEngine
from chartdesk.index.cluster.index import ClusterIndex, ClusterOptions
from chartdesk.index.synonyms import load_synonyms

EngineFactory = Callable[[Connection], ClusterEngine]


def _opensearch(connection: Connection) -> ClusterEngine:
    # the client library loads only when this engine is chosen
    from chartdesk.index.cluster.opensearch_engine import OpenSearchEngine

    return OpenSearchEngine(connection)


def _elasticsearch(connection: Connection) -> ClusterEngine:
    from chartdesk.index.cluster.elasticsearch_engine import ElasticsearchEngine

    return ElasticsearchEngine(connection)


ENGINES: dict[str, EngineFactory] = {
    "opensearch": _opensearch,
    "elasticsearch": _elasticsearch,
}


def open_engine(settings: Settings, name: str) -> ClusterEngine:
    """A client for the configured cluster (secrets read now)."""
    return ENGINES[name](connection_from(settings.search.cluster))


def open_cluster_index(settings: Settings, *, writer: bool, engine: str) -> ClusterIndex:
    """The search index on the configured cluster (registry.BACKENDS calls this)."""
    return ClusterIndex(
        open_engine(settings, engine),
        ClusterOptions.from_settings(settings.search.cluster),
        writer=writer,
        synonyms=load_synonyms(settings.search.synonyms_file),
        fuzzy=settings.search.fuzzy,
    )
