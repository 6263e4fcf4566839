"""The scale-out SearchIndex: an index on an OpenSearch or Elasticsearch cluster,
behind an alias.

Writing: add/remove queue bulk actions (bulk.BulkWriter: back-pressure,
retries); commit() sends what is left and refreshes the index, which is when
the documents become searchable (the index refreshes only then). One writer at
a time (lock.WriterLock), taken by the first add/remove and given back by commit().

Reading: every search runs on a point in time (PIT) opened when a reader is
made and on reload() (a writer's at its first search after being made or after
its own commit()), so a reader sees what was committed when it last reloaded, as
with the embedded backend, and pages of one search agree with each other. A PIT that has gone (expired, or its index was
replaced by a rebuild) is reopened on the alias at once, so a search never
fails or comes back empty because of a swap.

Rebuilding (model.Rebuildable): begin_rebuild() makes a new index beside the
live one, the feed fills it, publish() moves the alias to it in one atomic
alias update and drops the old index: searches never see a gap.

The identity (model.SearchIndex.identity) is the name of the index behind the
alias: it changes when the index is cleared, replaced or rebuilt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chartdesk.config import ClusterSettings
from chartdesk.errors import ConflictError, UsageError
from chartdesk.index.cluster import mapping
from chartdesk.index.cluster.bulk import BulkWriter, delete_action, index_action
from chartdesk.index.cluster.dsl import DslBuilder, with_filters
from chartdesk.index.cluster.engine import ClusterEngine
from chartdesk.index.cluster.errors import ClusterRequestError, NotFound, Rejected
from chartdesk.index.cluster.lock import WriterLock
from chartdesk.index.cluster.naming import Names, schema_of
from chartdesk.index.cluster.retry import RetryPolicy
from chartdesk.index.cluster.snippets import SnippetMaker
from chartdesk.index.filters import MATCH_ALL, Filter
from chartdesk.index.model import Hit, IndexDocument, SearchResults
from chartdesk.index.query import QueryNode, is_scoring, parse_query
from chartdesk.index.synonyms import Synonyms, expand_synonyms
from chartdesk.index.tantivy_index import MAX_LIMIT, MAX_OFFSET
from chartdesk.index.tantivy_schema import make_analyzers

log = logging.getLogger(__name__)

PIT_KEEP_ALIVE = "5m"  # a reader idle longer than this reopens its view at its next search
LOCK_SECONDS = 30.0  # a writer cut off from the cluster leaves its lock this long
EXPUNGE_SECONDS = 90.0
EXPUNGE_PAUSE_SECONDS = 2.0
_GONE_KINDS = frozenset({"search_context_missing_exception", "index_not_found_exception"})


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """What the backend needs from [search.cluster] besides the connection."""

    prefix: str = "chartdesk"
    shards: int = 1
    replicas: int = 1
    bulk_documents: int = 500
    bulk_bytes: int = 10 * 1024 * 1024
    retries: int = 5
    backoff: float = 0.5
    search_retries: int = 1  # a person is waiting: fail fast with a clear message
    lock_seconds: float = LOCK_SECONDS

    @classmethod
    def from_settings(cls, s: ClusterSettings) -> ClusterOptions:
        return cls(
            prefix=s.index_prefix,
            shards=s.shards,
            replicas=s.replicas,
            bulk_documents=s.bulk_documents,
            bulk_bytes=int(s.bulk_mb * 1024 * 1024),
            retries=s.retries,
            backoff=s.retry_backoff_seconds,
            search_retries=min(1, s.retries),
        )


class _ViewGone(Exception):
    """The point in time, or the index under it, no longer exists."""


class ClusterIndex:
    """SearchIndex on an OpenSearch or Elasticsearch cluster."""

    def __init__(
        self,
        engine: ClusterEngine,
        options: ClusterOptions,
        *,
        writer: bool,
        synonyms: Synonyms,
        fuzzy: bool = True,
        staging: str | None = None,
        owns_engine: bool = True,
    ) -> None:
        self.engine = engine
        self.options = options
        self.is_writer = writer
        self.synonyms = synonyms
        self.fuzzy = fuzzy
        self.names = Names(options.prefix)
        self.policy = RetryPolicy(options.retries, options.backoff)
        self.search_policy = RetryPolicy(options.search_retries, options.backoff)
        analyzers = make_analyzers()
        self.analyzers = analyzers
        self.builder = DslBuilder(analyzers, fuzzy=fuzzy)
        self.snippets = SnippetMaker(analyzers, fuzzy=fuzzy)
        self._staging = staging is not None
        self._owns_engine = owns_engine
        self._index: str | None = staging
        self._pit: str | None = None
        self._view_stale = True
        self._bulk: BulkWriter | None = None
        self.last_took_ms: int | None = None  # what the engine reported for the last search (diagnostics)
        self._lock = WriterLock(
            engine, self.names.lock_index, staging or self.names.alias, self.policy, options.lock_seconds,
            lock_body=mapping.lock_index_body(replicas=options.replicas),
        )
        if writer:  # the indexer rarely searches: its view opens at its first search
            self.identity()
        else:
            self._open_view(resolve=True)

    # ------------------------------------------------------------ the index behind the alias

    def identity(self) -> str:
        if self._index is None:
            self._index = self.policy.call("open", self._resolve)
        return self._index

    def _resolve(self) -> str:
        """The index behind the alias, made when there is none (as the embedded
        backend makes its folder); one of another schema is replaced by a writer."""
        found = self.engine.indices_of_alias(self.names.alias)
        if not found:
            body = self._index_body(aliases=(self.names.alias,))
            self.engine.create_index(self.names.initial, body)
            found = self.engine.indices_of_alias(self.names.alias)
        if len(found) != 1:
            raise ClusterRequestError(
                f"the search alias {self.names.alias} points at {len(found)} indices",
                remedy="run `chartdesk index rebuild`, which points it at one new index",
            )
        name = found[0]
        if schema_of(name) != mapping.SCHEMA_VERSION:
            name = self._replace_other_schema(name)
        return name

    def _replace_other_schema(self, old: str) -> str:
        if not self.is_writer:
            raise ConflictError(
                "the search index is from another version of chartdesk and is being rebuilt",
                remedy="try the search again in a few minutes",
            )
        log.warning("search index schema %s != %s: replacing it", schema_of(old), mapping.SCHEMA_VERSION)
        return self._swap_in_new_index(old)

    def _swap_in_new_index(self, old: str | None) -> str:
        new = self.names.new_index()
        self.engine.create_index(new, self._index_body())
        self._point_alias(new, old)
        return new

    def _point_alias(self, new: str, old: str | None) -> None:
        actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": self.names.alias}}]
        if old is not None:
            actions.insert(0, {"remove": {"index": old, "alias": self.names.alias}})
        self.engine.update_aliases(actions)  # one atomic change: searches see old or new
        if old is not None:
            self.engine.delete_index(old)

    def _index_body(self, *, aliases: tuple[str, ...] = (), replicas: int | None = None) -> dict[str, Any]:
        return mapping.index_body(
            shards=self.options.shards,
            replicas=self.options.replicas if replicas is None else replicas,
            aliases=aliases,
        )

    # ------------------------------------------------------------ the view (point in time)

    def _open_view(self, *, resolve: bool) -> None:
        """Pin searches to what is committed now."""
        self._close_pit()
        if resolve:
            self._index = self.policy.call("open", self._resolve)
        index = self.identity()
        self._pit = self.search_policy.call("open view", lambda: self.engine.open_pit(index, PIT_KEEP_ALIVE))
        self._view_stale = False

    def _close_pit(self) -> None:
        pit, self._pit = self._pit, None
        if pit is not None:
            try:
                self.engine.close_pit(pit)
            except Exception as exc:  # noqa: BLE001 - it expires by itself
                log.debug("closing a point in time failed (%s); it expires by itself", type(exc).__name__)

    def reload(self) -> None:
        self._open_view(resolve=not self._staging)

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._view_stale or self._pit is None:
            self._open_view(resolve=False)
        try:
            return self._search_view(body)
        except _ViewGone:
            log.info("search view gone (expired or index replaced): reopening it")
            self._open_view(resolve=not self._staging)
            return self._search_view(body)

    def _search_view(self, body: dict[str, Any]) -> dict[str, Any]:
        pinned = {**body, "pit": {"id": self._pit, "keep_alive": PIT_KEEP_ALIVE}}

        def attempt() -> dict[str, Any]:
            try:
                return self.engine.search(pinned, index=None)
            except (NotFound, Rejected) as exc:
                if isinstance(exc, NotFound) or exc.kind in _GONE_KINDS:
                    raise _ViewGone() from None
                raise

        return self.search_policy.call("search", attempt)

    # ------------------------------------------------------------ writing

    def _writer(self) -> BulkWriter:
        if not self.is_writer:
            raise ConflictError("this search index was opened for reading", remedy="open it with writer=True to change it")
        self._lock.acquire()
        if self._bulk is None:
            self._bulk = BulkWriter(
                self.engine, self.identity(), self.policy,
                max_docs=self.options.bulk_documents, max_bytes=self.options.bulk_bytes,
            )
        return self._bulk

    def add(self, docs: Iterable[IndexDocument]) -> None:
        bulk = self._writer()
        for doc in docs:
            bulk.add(index_action(doc.doc_id, mapping.to_source(doc, self.analyzers)))
            self._renew_lock()

    def remove(self, doc_ids: Iterable[int]) -> None:
        bulk = self._writer()
        for doc_id in doc_ids:
            bulk.add(delete_action(int(doc_id)))

    def _renew_lock(self) -> None:
        if self._lock.held and self._lock.age() > self.options.lock_seconds / 3:
            self._lock.renew()

    def commit(self) -> None:
        if self._bulk is None:
            return
        bulk, self._bulk = self._bulk, None
        try:
            bulk.flush()
            self.policy.call("refresh", lambda: self.engine.refresh(bulk.index))
        finally:
            self._lock.release()
        self._view_stale = True

    def clear(self) -> None:
        if self._staging:
            raise ConflictError("a rebuild's new index cannot be cleared", remedy="discard it instead")
        self._writer().discard()
        self._bulk = None
        try:
            old = self.identity()
            self._index = self.policy.call("clear", lambda: self._swap_in_new_index(old))
        finally:
            self._lock.release()
        self._view_stale = True

    def close(self) -> None:
        if self._bulk is not None:
            self._bulk.discard()
            self._bulk = None
        try:
            self._lock.release()
        finally:
            self._close_pit()
            if self._owns_engine:
                self.engine.close()

    # ------------------------------------------------------------ rebuilding (model.Rebuildable)

    def begin_rebuild(self) -> ClusterIndex:
        """A new, empty index beside the live one (no replicas while it fills)."""
        if self._staging or not self.is_writer:
            raise ConflictError("only the live index, opened for writing, starts a rebuild", remedy="open it with writer=True")
        name = self.names.new_index()
        self.policy.call("rebuild", lambda: self.engine.create_index(name, self._index_body(replicas=0)))
        return ClusterIndex(
            self.engine, self.options, writer=True, synonyms=self.synonyms, fuzzy=self.fuzzy,
            staging=name, owns_engine=False,
        )

    def publish(self, staged: ClusterIndex) -> None:
        """Point the alias at the rebuilt index in one step and drop the old one."""
        new = staged.identity()
        if staged._bulk is not None:
            raise ConflictError("the rebuilt index has uncommitted documents", remedy="commit it before publishing")
        self.policy.call("publish", lambda: self.engine.put_settings(new, {"number_of_replicas": self.options.replicas}))
        old = self.policy.call("publish", lambda: self.engine.indices_of_alias(self.names.alias))
        self.policy.call("publish", lambda: self._point_alias_many(new, old))
        staged.close()
        self._index = new
        self._view_stale = True
        log.info("search alias moved to the rebuilt index")

    def _point_alias_many(self, new: str, old: list[str]) -> None:
        actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.names.alias}} for o in old]
        actions.append({"add": {"index": new, "alias": self.names.alias}})
        self.engine.update_aliases(actions)
        for name in old:
            self.engine.delete_index(name)

    def discard(self, staged: ClusterIndex) -> None:
        """Drop a rebuild that did not finish."""
        name = staged.identity()
        staged.close()
        if name != self._index:
            self.policy.call("discard", lambda: self.engine.delete_index(name))

    # ------------------------------------------------------------ disposal (model.Expungeable)

    def expunge(self, *, timeout: float = EXPUNGE_SECONDS) -> bool:
        """Merge away the stored copies of removed documents; True when the cluster
        reports none left within `timeout`.

        A removed document stays in its segment until a merge, and the engines keep
        it (soft-deleted) while a shard's retention lease may need it to recover a
        replica; the lease moves past it at its next sync (every 30 s or so), so this
        merges, checks, and tries again until nothing is left.
        """
        index = self.identity()
        deadline = time.monotonic() + timeout
        while True:
            self.policy.call("expunge", lambda: self.engine.expunge_deletes(index))
            self.policy.call("expunge", lambda: self.engine.refresh(index))
            left = self.policy.call("expunge", lambda: self.engine.deleted_docs(index))
            if left == 0:
                return True
            if time.monotonic() > deadline:
                log.warning("search index still holds %d removed document(s) after %.0fs of merging", left, timeout)
                return False
            time.sleep(EXPUNGE_PAUSE_SECONDS)

    # ------------------------------------------------------------ reading

    def count(self) -> int:
        found = self._search({"size": 0, "track_total_hits": True, "query": {"match_all": {}}})
        return int(found["hits"]["total"]["value"])

    def search(
        self, query: str, *, visible: Filter, filters: Filter = MATCH_ALL, offset: int = 0, limit: int = 20
    ) -> SearchResults:
        _check_page(offset, limit)
        tree = expand_synonyms(parse_query(query), self.synonyms)
        engine_query = with_filters(self.builder.build(tree), [self.builder.filter(visible), self.builder.filter(filters)])
        body: dict[str, Any] = {"query": engine_query, "track_total_hits": True, "size": limit}
        if limit:
            body.update({"from": offset, "_source": list(mapping.SOURCE_FIELDS), "sort": _sort(scoring=is_scoring(tree))})
        found = self._search(body)
        self.last_took_ms = found.get("took")
        total = int(found["hits"]["total"]["value"])
        hits = tuple(self._hit(tree, h, scoring=is_scoring(tree)) for h in found["hits"]["hits"]) if limit else ()
        return SearchResults(total=total, hits=hits, offset=offset, limit=limit)

    def _hit(self, tree: QueryNode, found: dict[str, Any], *, scoring: bool) -> Hit:
        source = found.get("_source") or {}
        snippet, page = self.snippets.snippet(tree, str(source.get("text") or ""))
        score = float(found.get("_score") or 0.0) if scoring else 0.0
        return Hit(doc_id=int(source.get("doc_id", found["_id"])), score=score, snippet=snippet, page=page)


def _sort(*, scoring: bool) -> list[Any]:
    """Best first (ties by document id, so pages are stable); filters alone: newest first."""
    if scoring:
        return ["_score", {"doc_id": "asc"}]
    return [{"received": "desc"}, {"doc_id": "desc"}]


def _check_page(offset: int, limit: int) -> None:
    """The embedded backend's paging bounds (tantivy_index), with its messages."""
    if not 0 <= limit <= MAX_LIMIT:
        raise UsageError(f"a page of results holds 0 to {MAX_LIMIT} documents, not {limit}", remedy="ask for a smaller page")
    if not 0 <= offset <= MAX_OFFSET:
        raise UsageError(
            f"results can be paged up to {MAX_OFFSET} documents deep",
            remedy="narrow the search with more words or a filter such as date:2026-03",
        )
