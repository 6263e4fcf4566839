"""Backends under the SearchIndex contract. A new backend joins by adding one
factory to FACTORIES (a function making an empty writer index in a folder)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chartdesk.index import SearchIndex, Synonyms, load_synonyms
from chartdesk.index.tantivy_index import TantivyIndex
from tests.index.cluster_backend import opensearch_factory
from tests.index.cluster_node import stop_session_node
from tests.index.corpus import CORPUS

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

Factory = Callable[..., SearchIndex]


def tantivy_factory(path: Path, *, writer: bool = True, synonyms: Synonyms | None = None, fuzzy: bool = True) -> SearchIndex:
    return TantivyIndex(path, writer=writer, synonyms=synonyms or load_synonyms(), fuzzy=fuzzy, heap_bytes=15_000_000)


FACTORIES: dict[str, Factory] = {
    "tantivy": tantivy_factory,
    "opensearch": opensearch_factory,  # a real node (cluster_node.py), started on first use
}


@pytest.fixture(scope="session", params=sorted(FACTORIES))
def index_factory(request: pytest.FixtureRequest) -> Factory:
    return FACTORIES[request.param]


@pytest.fixture(scope="session", autouse=True)
def _stop_search_node() -> Iterator[None]:
    """Stops the OpenSearch node at the end of the session if a test started it."""
    yield
    stop_session_node()


@pytest.fixture(scope="session")
def corpus_index(index_factory: Factory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """The corpus, indexed once per backend per session. Tests only read it."""
    index = index_factory(tmp_path_factory.mktemp("corpus"))
    index.add(CORPUS)
    index.commit()
    yield index
    index.close()


@pytest.fixture
def fresh_index(index_factory: Factory, tmp_path: Path) -> Iterator[SearchIndex]:
    index = index_factory(tmp_path / "index")
    yield index
    index.close()
