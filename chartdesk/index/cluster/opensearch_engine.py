"""The OpenSearch adapter, over the official `opensearch-py` client (OpenSearch
1.x to 3.x). The client's own retries are off: the shared code retries."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import opensearchpy
import urllib3
from opensearchpy import exceptions as X

from chartdesk.index.cluster.connection import Connection
from chartdesk.index.cluster.engine import StoredDoc
from chartdesk.index.cluster.errors import EngineError, NotFound, Refused, Unreachable, classify


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except X.SSLError:
        raise Refused("the cluster's TLS certificate was not accepted", kind="tls") from None
    except (X.ConnectionError, X.ConnectionTimeout) as exc:
        raise Unreachable(f"no answer from the cluster ({type(exc).__name__})") from None
    except X.TransportError as exc:
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        raise classify(status, f"cluster answered {status}", _error_type(exc.info)) from None


def _error_type(info: Any) -> str:
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        return str(info["error"].get("type", ""))
    return ""


class OpenSearchEngine:
    name = "opensearch"

    def __init__(self, connection: Connection) -> None:
        for name in ("opensearch", "opensearchpy.trace"):  # at DEBUG/INFO they log request bodies (patient text)
            logging.getLogger(name).setLevel(logging.ERROR)
        headers = {"Authorization": f"ApiKey {connection.api_key}"} if connection.api_key else None
        self.client = opensearchpy.OpenSearch(
            hosts=list(connection.urls),
            http_auth=connection.basic_auth,
            headers=headers,
            verify_certs=True,
            ca_certs=str(connection.ca_file) if connection.ca_file else None,
            timeout=urllib3.Timeout(connect=connection.connect_timeout, read=connection.request_timeout),
            max_retries=0,
            retry_on_timeout=False,
            http_compress=True,
        )

    def server_version(self) -> str:
        with _translated():
            info = self.client.info()
        version = info.get("version", {})
        return f"{version.get('distribution', 'elasticsearch')} {version.get('number', '?')}"

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
        return sorted(found)

    def update_aliases(self, actions: Sequence[Mapping[str, Any]]) -> None:
        with _translated():
            self.client.indices.update_aliases(body={"actions": list(actions)})

    def put_settings(self, index: str, settings: Mapping[str, Any]) -> None:
        with _translated():
            self.client.indices.put_settings(index=index, body={"index": dict(settings)})

    def refresh(self, index: str) -> None:
        with _translated():
            self.client.indices.refresh(index=index)

    def expunge_deletes(self, index: str) -> None:
        with _translated():
            self.client.indices.forcemerge(index=index, params={"only_expunge_deletes": "true"})

    def deleted_docs(self, index: str) -> int:
        with _translated():
            stats = self.client.indices.stats(index=index, metric="docs")
        return int(stats["_all"]["primaries"]["docs"]["deleted"])

    def bulk(self, operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        with _translated():
            return dict(self.client.bulk(body=list(operations)))

    def search(self, body: Mapping[str, Any], *, index: str | None) -> dict[str, Any]:
        with _translated():
            return dict(self.client.search(body=dict(body), index=index))

    def open_pit(self, index: str, keep_alive: str) -> str:
        with _translated():
            return str(self.client.create_pit(index=index, params={"keep_alive": keep_alive})["pit_id"])

    def close_pit(self, pit_id: str) -> None:
        with contextlib.suppress(NotFound), _translated():
            self.client.delete_pit(body={"pit_id": [pit_id]})

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
        params: dict[str, Any] = {"op_type": "create"} if create else {}
        if if_version is not None:
            params.update(if_seq_no=if_version[0], if_primary_term=if_version[1])
        with _translated():
            done = self.client.index(index=index, id=doc_id, body=dict(source), params=params)
        return int(done["_seq_no"]), int(done["_primary_term"])

    def delete_doc(self, index: str, doc_id: str, *, if_version: tuple[int, int] | None = None) -> None:
        params = {"if_seq_no": if_version[0], "if_primary_term": if_version[1]} if if_version else {}
        with contextlib.suppress(NotFound), _translated():
            self.client.delete(index=index, id=doc_id, params=params)

    def close(self) -> None:
        self.client.close()
