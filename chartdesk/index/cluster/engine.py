"""The thin adapter each cluster engine implements: the few REST calls the shared
code needs, with plain dicts in and out, and client errors turned into
errors.EngineError. Everything else (mappings, queries, retries, locks, aliases)
is shared and tested once against a real OpenSearch node.

Where OpenSearch and Elasticsearch differ on the wire, the difference lives here:
the point-in-time API (`_search/point_in_time` vs `_pit`), the client libraries
and their exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StoredDoc:
    """A document read back with its optimistic-concurrency version."""

    source: dict[str, Any]
    seq_no: int
    primary_term: int


class ClusterEngine(Protocol):
    """One cluster connection. Methods raise errors.EngineError subclasses."""

    name: str  # "opensearch" | "elasticsearch"

    def server_version(self) -> str:
        """The server's distribution and version, e.g. "opensearch 2.19.1"."""

    def create_index(self, name: str, body: Mapping[str, Any]) -> bool:
        """Create an index (settings, mappings, aliases). False if it already exists."""

    def delete_index(self, name: str) -> None:
        """Delete an index; an absent one is fine."""

    def indices_of_alias(self, alias: str) -> list[str]:
        """The indices an alias points at (empty when there is no such alias)."""

    def update_aliases(self, actions: Sequence[Mapping[str, Any]]) -> None:
        """Apply alias actions atomically (one cluster-state update)."""

    def put_settings(self, index: str, settings: Mapping[str, Any]) -> None:
        """Change dynamic index settings (replicas, refresh interval)."""

    def refresh(self, index: str) -> None:
        """Make everything written to `index` visible to new searches."""

    def expunge_deletes(self, index: str) -> None:
        """Merge away the segments' copies of deleted documents (force merge)."""

    def deleted_docs(self, index: str) -> int:
        """Deleted documents still held in `index`'s primary segments."""

    def bulk(self, operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Send one bulk request (action and source lines); the raw answer with its items."""

    def search(self, body: Mapping[str, Any], *, index: str | None) -> dict[str, Any]:
        """Search `index`, or the point in time named in the body when `index` is None."""

    def open_pit(self, index: str, keep_alive: str) -> str:
        """Open a point in time on `index`; its id."""

    def close_pit(self, pit_id: str) -> None:
        """Close a point in time (an expired or unknown one is fine)."""

    def get_doc(self, index: str, doc_id: str) -> StoredDoc | None:
        """A document by id (real time), or None."""

    def put_doc(
        self,
        index: str,
        doc_id: str,
        source: Mapping[str, Any],
        *,
        create: bool = False,
        if_version: tuple[int, int] | None = None,
    ) -> tuple[int, int]:
        """Write one document; `create` fails (Conflict) if it exists, `if_version`
        (seq_no, primary_term) fails (Conflict) if it changed. Returns the new version."""

    def delete_doc(self, index: str, doc_id: str, *, if_version: tuple[int, int] | None = None) -> None:
        """Delete one document (absent is fine; a changed version is a Conflict)."""

    def close(self) -> None:
        """Close the connections."""
