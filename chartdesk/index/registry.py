"""Search backends by name (settings.search.backend), built-ins in one table.

A backend is a function (settings, *, writer) -> SearchIndex. The cluster
backends (cluster/) load their client library only when selected.
"""

from __future__ import annotations

from collections.abc import Callable

from chartdesk.config import Settings
from chartdesk.errors import ConfigError
from chartdesk.index.model import SearchIndex
from chartdesk.index.synonyms import load_synonyms
from chartdesk.index.tantivy_index import TantivyIndex

BackendFactory = Callable[..., SearchIndex]


def _tantivy(settings: Settings, *, writer: bool) -> SearchIndex:
    return TantivyIndex(
        settings.index_dir / "tantivy",
        writer=writer,
        synonyms=load_synonyms(settings.search.synonyms_file),
        fuzzy=settings.search.fuzzy,
    )


def _cluster(engine: str) -> BackendFactory:
    def factory(settings: Settings, *, writer: bool) -> SearchIndex:
        from chartdesk.index.cluster import open_cluster_index

        return open_cluster_index(settings, writer=writer, engine=engine)

    return factory


BACKENDS: dict[str, BackendFactory] = {
    "tantivy": _tantivy,
    "opensearch": _cluster("opensearch"),
    "elasticsearch": _cluster("elasticsearch"),
}


def open_index(settings: Settings, *, writer: bool) -> SearchIndex:
    """The configured search backend. Only the indexer opens it with `writer=True`."""
    name = str(settings.search.backend)
    factory = BACKENDS.get(name)
    if factory is None:
        raise ConfigError(f"unknown search backend {name!r}", remedy="set search.backend to one of: " + ", ".join(BACKENDS))
    return factory(settings, writer=writer)
