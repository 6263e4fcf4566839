"""Bulk writes with back-pressure and retries.

The writer collects index and delete actions and sends them in bulk requests of
at most `max_docs` actions or `max_bytes`, one at a time: the caller waits for
each answer, so a busy cluster slows the indexer down instead of piling up
requests. A request that gets no answer, or a 429/502-504, is sent again with
backoff (retry.RetryPolicy); inside an answered request, the actions refused
with 429 (the cluster's write queue was full) are sent again, alone, with the
same backoff. Any other refused action is an error naming its document id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from chartdesk.index.cluster.engine import ClusterEngine
from chartdesk.index.cluster.errors import ClusterRequestError, EngineError
from chartdesk.index.cluster.retry import RetryPolicy, unavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # "index" | "delete"
    doc_id: int
    source: dict[str, Any] | None = None
    size: int = 0

    def lines(self, index: str) -> list[dict[str, Any]]:
        head = {self.kind: {"_index": index, "_id": str(self.doc_id)}}
        return [head] if self.source is None else [head, self.source]


def index_action(doc_id: int, source: dict[str, Any]) -> Action:
    return Action("index", doc_id, source, len(json.dumps(source, ensure_ascii=False).encode()))


def delete_action(doc_id: int) -> Action:
    return Action("delete", doc_id)


@dataclass
class BulkStats:
    requests: int = 0
    actions: int = 0
    retried_actions: int = 0


@dataclass
class BulkWriter:
    engine: ClusterEngine
    index: str
    policy: RetryPolicy
    max_docs: int = 500
    max_bytes: int = 10 * 1024 * 1024
    stats: BulkStats = field(default_factory=BulkStats)
    _pending: list[Action] = field(default_factory=list)
    _bytes: int = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, action: Action) -> None:
        """Queue an action; sends a bulk request (and waits for it) when one is full."""
        if self._pending and (len(self._pending) >= self.max_docs or self._bytes + action.size > self.max_bytes):
            self.flush()
        self._pending.append(action)
        self._bytes += action.size

    def flush(self) -> None:
        """Send everything queued; returns when the cluster has taken all of it."""
        actions, self._pending, self._bytes = self._pending, [], 0
        attempt = 0
        while actions:
            busy = self._send(actions)
            if not busy:
                return
            if attempt >= self.policy.retries:
                raise unavailable("bulk", EngineError("write queue full", status=429))
            self.stats.retried_actions += len(busy)
            wait = self.policy.delay(attempt)
            log.warning("search cluster busy: %d of %d actions refused with 429; retry in %.1fs", len(busy), len(actions), wait)
            self.policy.sleep(wait)
            attempt += 1
            actions = busy

    def discard(self) -> None:
        self._pending, self._bytes = [], 0

    def _send(self, actions: list[Action]) -> list[Action]:
        """One bulk request; the actions refused as busy (429)."""
        lines = [line for a in actions for line in a.lines(self.index)]
        answer = self.policy.call("bulk", lambda: self.engine.bulk(lines))
        self.stats.requests += 1
        self.stats.actions += len(actions)
        if not answer.get("errors"):
            return []
        busy: list[Action] = []
        refused: list[str] = []
        for action, item in zip(actions, answer["items"], strict=True):
            result = item.get(action.kind, {})
            status = int(result.get("status", 200))
            if status == 429:
                busy.append(action)
            elif status >= 300 and not (action.kind == "delete" and status == 404):
                error = result.get("error") or {}
                refused.append(f"{action.doc_id} ({status} {error.get('type', '') if isinstance(error, dict) else ''})")
        if refused:
            raise ClusterRequestError(
                f"the search cluster refused {len(refused)} document(s): " + ", ".join(refused[:10]),
                remedy="look at the cluster's log; `chartdesk index rebuild` recreates the index",
            )
        return busy
