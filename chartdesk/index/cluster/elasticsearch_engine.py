"""The Elasticsearch adapter, over the official `elasticsearch` client, major 8
(pinned in pyproject.toml): an 8.x client talks to Elasticsearch 8.x and, through
REST compatibility, 9.x; a 9.x client would refuse an 8.x server. The client's
own retries are off: the shared code retries. Its timeout is one total per
request (the 8.x transport has no separate connect timeout).

Not run against a server here (none can be obtained on our machines); it is kept
to the same calls as the OpenSearch adapter, which runs the contract suite.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import elastic_transport
import elasticsearch

from chartdesk.index.cluster.connection import Connection
from chartdesk.index.cluster.engine import StoredDoc
from chartdesk.index.cluster.errors import EngineError, NotFound, Refused, Unreachable, classify


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except elastic_transport.TlsError:
        raise Refused("the cluster's TLS certificate was not accepted", kind="tls") from None
    except (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout) as exc:
        raise Unreachable(f"no answer from the cluster ({type(exc).__name__})") from None
    except elasticsearch.UnsupportedProductError:
        raise Refused("the server at search.cluster.urls is not Elasticsearch", kind="product") from None
    except elasticsearch.ApiError as exc:
        status = int(exc.meta.status)
        if status == 406:  # the server refuses Elasticsearch's media type: OpenSearch, or Elasticsearch 7
            raise Refused("the server does not speak the Elasticsearch 8 API", status=406, kind="product") from None
        raise classify(status, f"cluster answered {status}", _error_type(exc.body)) from None


def _error_type(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("type", ""))
    return ""


class ElasticsearchEngine:
    name = "elasticsearch"

    def __init__(self, connection: Connection) -> None:
        for name in ("elasticsearch", "elastic_transport"):  # at DEBUG they log request bodies (patient text)
            logging.getLogger(name).setLevel(logging.ERROR)
        self.client = elasticsearch.Elasticsearch(
            hosts=list(connection.urls),
            basic_auth=connection.basic_auth,
            api_key=connection.api_key,
            ca_certs=str(connection.ca_file) if connection.ca_file else None,
            request_timeout=connection.connect_timeout + connection.request_timeout,
            max_retries=0,
            retry_on_timeout=False,
            http_compress=True,
        )

    def server_version(self) -> str:
        with _translated():
            info = self.client.info()
        return f"elasticsearch {info['version']['number']}"

    def create_index(self, name: str, body: Mapping[str, Any]) -> bool:
        try:
            with _translated():
                self.client.indices.create(index=name, body=dict(body))
        except EngineError as exc:
            if exc.kind == "resource_already_exists_exception":
                return False
            raise
        return True

    def delete_index(self, name: str) -> None:
        with contextlib.suppress(NotFound), _translated():
            self.client.indices.delete(index=name)

    def indices_of_alias(self, alias: str) -> list[str]:
        try:
            with _translated():
                found = self.client.indices.get_alias(name=alias)
        except NotFound:
            return []
        return sorted(found.body)

    def update_aliases(self, actions: Sequence[Mapping[str, Any]]) -> None:
        with _translated():
            self.client.indices.update_aliases(actions=list(actions))

    def put_settings(self, index: str, settings: Mapping[str, Any]) -> None:
        with _translated():
            self.client.indices.put_settings(index=index, settings={"index": dict(settings)})

    def refresh(self, index: str) -> None:
        with _translated():
            self.client.indices.refresh(index=index)

    def expunge_deletes(self, index: str) -> None:
        with _translated():
            self.client.indices.forcemerge(index=index, only_expunge_deletes=True)

    def deleted_docs(self, index: str) -> int:
        with _translated():
            stats = self.client.indices.stats(index=index, metric="docs")
        return int(stats["_all"]["primaries"]["docs"]["deleted"])

    def bulk(self, operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        with _translated():
            return dict(self.client.bulk(operations=list(operations)).body)

    def search(self, body: Mapping[str, Any], *, index: str | None) -> dict[str, Any]:
        with _translated():
            return dict(self.client.search(index=index, body=dict(body)).body)

    def open_pit(self, index: str, keep_alive: str) -> str:
        with _translated():
            return str(self.client.open_point_in_time(index=index, keep_alive=keep_alive)["id"])

    def close_pit(self, pit_id: str) -> None:
        with contextlib.suppress(NotFound), _translated():
            self.client.close_point_in_time(id=pit_id)

    def get_doc(self, index: str, doc_id: str) -> StoredDoc | None:
        try:
            with _translated():
                found = self.client.get(index=index, id=doc_id)
        except NotFound:
            return None
        return StoredDoc(dict(found["_source"]), int(found["_seq_no"]), int(found["_primary_term"]))

    def put_doc(
        self,
        index: str,
        doc_id: str,
        source: Mapping[str, Any],
        *,
        create: bool = False,
        if_version: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        seq_no, term = if_version if if_version is not None else (None, None)
        with _translated():
            done = self.client.index(
                index=index, id=doc_id, document=dict(source), op_type="create" if create else None,
                if_seq_no=seq_no, if_primary_term=term,
            )
        return int(done["_seq_no"]), int(done["_primary_term"])

    def delete_doc(self, index: str, doc_id: str, *, if_version: tuple[int, int] | None = None) -> None:
        seq_no, term = if_version if if_version is not None else (None, None)
        with contextlib.suppress(NotFound), _translated():
            self.client.delete(index=index, id=doc_id, if_seq_no=seq_no, if_primary_term=term)

    def close(self) -> None:
        self.client.close()
