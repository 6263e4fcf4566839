"""Getting destroyed documents out of the search index for good.

The indexer removes a document whose state is no longer indexable, but a
tantivy delete only marks the document deleted: its stored text stays in the
segment files until that segment is merged away. tantivy-py 0.27 offers no
call to merge or expunge deletes (IndexWriter has commit, rollback,
garbage_collect_files and wait_merging_threads), so disposal makes the old
segments disappear another way: every live document that shares a segment
with a destroyed one is written again (the indexer's delete-then-add), which
leaves the old segment with no live document; tantivy drops such a segment at
the next commit and its files go with the commit's garbage collection.

`stored_copies` is how this is checked, and how the segments to rewrite are
found: it opens the index read-only and reads the stored doc_id of every
deleted document still inside a segment (and of any live copy, which a rebuild
running at the same moment could have written). Index folders a rebuild left
beside the live one are removed too. This reads the tantivy backend's files
directly; it belongs in the index room's door (index.Expungeable, which the
cluster backends implement and which this calls for them) and moves there when
the tantivy backend implements it.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from chartdesk import index, pipeline
from chartdesk.app import App
from chartdesk.config import Settings
from chartdesk.db import documents
from chartdesk.retention.errors import DisposalIncompleteError

log = logging.getLogger(__name__)

MAX_ROUNDS = 5
WAIT_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class PurgeReport:
    backend: str
    rounds: int
    rewritten: int
    expunged: bool  # False: the backend cannot be checked (it expunges on its own schedule)


def purge(app: App, destroyed: Iterable[int], *, worker_id: str, timeout: float) -> PurgeReport:
    """Remove the destroyed documents from the index and expunge their stored copies."""
    wanted = set(destroyed)
    backend = str(app.settings.search.backend)
    deadline = time.monotonic() + timeout
    drain(app, wanted, worker_id=worker_id, deadline=deadline)
    if backend != "tantivy":
        return PurgeReport(backend, 0, 0, expunged=_expunge_by_backend(app))
    rewritten = 0
    for round_no in range(1, MAX_ROUNDS + 1):
        found, mates = stored_copies(app.settings, wanted)
        if not found:
            _remove_retired_generations(app.settings)
            return PurgeReport(backend, round_no - 1, rewritten, expunged=True)
        log.info("search index: %d destroyed document(s) still stored; rewriting %d neighbour(s)", len(found), len(mates))
        with app.db.write() as conn:  # the destroyed ones are removed again, their neighbours written again
            pipeline.mark_for_reindex(conn, sorted(mates | found))
        rewritten += len(mates)
        drain(app, mates | found, worker_id=worker_id, deadline=deadline)
    raise DisposalIncompleteError("the search index still holds text of destroyed documents after several rewrites",
                                  remedy="run `chartdesk retention apply --execute` again; if it persists, run "
                                         "`chartdesk index rebuild`")


def drain(app: App, doc_ids: set[int], *, worker_id: str, deadline: float) -> None:
    """Run the indexer until none of `doc_ids` waits for it."""
    while _waiting(app, doc_ids):
        if time.monotonic() > deadline:
            raise DisposalIncompleteError("the search indexer is busy and did not take the destroyed documents out",
                                          remedy="run `chartdesk retention apply --execute` again in a few minutes")
        if not index.index_pending(app.db, app.settings, worker_id=worker_id):
            time.sleep(WAIT_SECONDS)  # another worker holds the index writer


def _waiting(app: App, doc_ids: set[int]) -> int:
    ids = sorted(doc_ids)
    waiting = 0
    with app.db.read() as conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            waiting += int(conn.execute(select(func.count()).select_from(documents).where(
                documents.c.id.in_(chunk), documents.c.index_version > documents.c.indexed_version)).scalar_one())
    return waiting


def stored_copies(settings: Settings, wanted: set[int]) -> tuple[set[int], set[int]]:
    """(ids of `wanted` still stored in a segment as deleted documents, live ids sharing those segments)."""
    import tantivy

    path = settings.index_dir / "tantivy"
    if not (path / "meta.json").exists():
        return set(), set()
    searcher = tantivy.Index.open(str(path)).searcher()
    alive = _alive_by_segment(searcher)
    found: set[int] = set()
    dirty: set[int] = set()
    for segment in range(searcher.num_segments):
        live = alive.get(segment, {})
        for doc_id in (*_deleted_ids(searcher, segment, live), *live.values()):
            if doc_id in wanted:  # deleted but stored, or even live (a rebuild that read it before it went)
                found.add(doc_id)
                dirty.add(segment)
    mates = {doc_id for segment in dirty for doc_id in alive.get(segment, {}).values()}
    return found, mates - wanted


def _expunge_by_backend(app: App) -> bool:
    """Backends that expunge on request (index.Expungeable, e.g. a cluster) are asked to."""
    backend = index.open_index(app.settings, writer=True)
    try:
        return bool(backend.expunge()) if isinstance(backend, index.Expungeable) else False
    finally:
        backend.close()


def _remove_retired_generations(settings: Settings) -> None:
    """Index folders a rebuild left beside the live one (kept for readers still on
    them, or a rebuild that never finished) hold every document as it was then."""
    live = settings.index_dir / "tantivy"
    current = live.resolve()
    for folder in live.parent.glob(f"{live.name}.g-*"):
        if folder.is_dir() and not folder.is_symlink() and folder.resolve() != current:
            log.info("search index: removing a retired index folder that still holds destroyed documents")
            shutil.rmtree(folder, ignore_errors=True)


def _alive_by_segment(searcher: object) -> dict[int, dict[int, int]]:
    import tantivy

    total = max(1, int(searcher.num_docs))  # type: ignore[attr-defined]
    hits = searcher.search(tantivy.Query.all_query(), total, order_by_field="doc_id").hits  # type: ignore[attr-defined]
    out: dict[int, dict[int, int]] = {}
    for doc_id, address in hits:
        out.setdefault(address.segment_ord, {})[address.doc] = int(doc_id)
    return out


def _deleted_ids(searcher: object, segment: int, alive: dict[int, int]) -> Iterable[int]:
    """The stored doc_id of each deleted document still in `segment`."""
    import tantivy

    local = 0
    while True:
        if local not in alive:
            try:
                doc = searcher.doc(tantivy.DocAddress(segment, local))  # type: ignore[attr-defined]
            except ValueError:
                return
            values = doc.to_dict().get("doc_id") or []
            if values:
                yield int(values[0])
        local += 1
