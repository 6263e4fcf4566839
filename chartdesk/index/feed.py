"""The index stage: keeps the search index in step with the database, in batches.

The database is the truth. A change to what is indexed bumps a document's
`index_version`; `index_pending` writes every document whose index_version is
ahead of its `indexed_version` (and any whose stage is "index"), commits the
index, then records `indexed_version` with a compare-and-set, so a change made
meanwhile is picked up by the next batch. Adding is idempotent (delete by id,
then add), so a crash between the index commit and the database update only
means the same documents are written again.

One writer at a time: the "index_writer" row of the `leases` table (taken in a
write transaction when free, expired or already ours) and tantivy's own lock.
Readers use `LiveIndex`, which reloads when meta "index_generation" changes.

The index's identity (model.SearchIndex.identity) is kept in meta
"index_identity": when they differ (a new, cleared or restored index) every
document is indexed again.

A search cluster that cannot be reached (SearchUnavailableError) stops nothing
else: the batch is not recorded, so its documents stay in the backlog (which
`chartdesk status` shows), and the indexer tries again after a pause that
doubles up to MAX_PAUSE_SECONDS (meta "index_unavailable_until"), meanwhile
returning 0 at once so the workers go on with the other stages. `outage` tells
the status page and `chartdesk status` since when and why (meta
"index_unavailable_since").

`rebuild` builds beside the live index when the backend can (model.Rebuildable:
the cluster's alias, tantivy's folder switch): searches keep the old index until
the new one replaces it in one step. Otherwise it clears and refills.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from chartdesk.config import Settings
from chartdesk.db import (
    Database,
    bump_counter,
    documents,
    get_meta,
    leases,
    pages,
    patients,
    set_meta,
    utcnow,
)
from chartdesk.errors import ConflictError, LeaseLostError
from chartdesk.faults import fault_point
from chartdesk.index.cluster.errors import SearchUnavailableError
from chartdesk.index.filters import MATCH_ALL, Filter
from chartdesk.index.model import (
    PAGE_BREAK,
    Expungeable,
    IndexDocument,
    Rebuildable,
    SearchIndex,
    SearchResults,
)
from chartdesk.index.registry import open_index
from chartdesk.stages import State

log = logging.getLogger(__name__)

LEASE_NAME = "index_writer"
INDEX_STAGE = "index"
GENERATION_KEY = "index_generation"
IDENTITY_KEY = "index_identity"
REBUILD_BATCH = 1000
UNAVAILABLE_KEY = "index_unavailable_until"  # ISO time, then the pause in seconds
OUTAGE_KEY = "index_unavailable_since"  # ISO time of the first failed try, a space, the reason
FIRST_PAUSE_SECONDS = 5.0
MAX_PAUSE_SECONDS = 300.0
LEASE_WAIT_SECONDS = 0.2
LABELLED_FLAG = "labelled"  # documents.flags key set by the label stage (access room)


@dataclass(frozen=True, slots=True)
class _Pending:
    doc_id: int
    version: int
    state: str
    stage: str | None
    document: IndexDocument | None  # None: remove it from the index


# ---------------------------------------------------------------- public


def index_pending(db: Database, settings: Settings, *, worker_id: str, limit: int | None = None) -> int:
    """Write one batch of changed documents to the index. Returns how many were written or removed.

    Returns 0 at once when another worker holds the index writer lease, or while
    the search cluster is unreachable (the documents wait in the backlog).
    """
    if _pausing(db):
        return 0
    if not _take_lease(db, worker_id, settings.pipeline.lease_seconds):
        log.debug("index writer lease held by another worker; %s skips", worker_id)
        return 0
    try:
        index = open_index(settings, writer=True)
        try:
            _check_identity(db, index)
            written = _write_batch(db, index, worker_id, limit or settings.pipeline.index_batch_size)
        finally:
            index.close()
    except SearchUnavailableError as exc:
        _pause(db, exc)
        return 0
    except ConflictError as exc:  # the backend's own writer lock (e.g. left by a writer cut off mid-batch)
        log.info("search index busy (%s); %s tries again later", exc.message, worker_id)
        return 0
    finally:
        _release_lease(db, worker_id)
    _resume(db)
    return written


def rebuild(db: Database, settings: Settings, *, worker_id: str = "rebuild", batch_size: int = REBUILD_BATCH) -> int:
    """Index every document again from the database. Returns the count.

    Gapless when the backend is Rebuildable (searches see the old index until the
    new one replaces it); otherwise the index is cleared and refilled.
    """
    index = open_index(settings, writer=True)
    try:
        if isinstance(index, Rebuildable):
            total = _rebuild_beside(db, settings, index, worker_id, batch_size)
            total += _catch_up(db, settings, worker_id, batch_size)
            log.info("search index rebuilt beside the live one: %d documents", total)
            return total
    finally:
        index.close()
    return _rebuild_in_place(db, settings, worker_id, batch_size)


def _rebuild_in_place(db: Database, settings: Settings, worker_id: str, batch_size: int) -> int:
    if not _take_lease(db, worker_id, settings.pipeline.lease_seconds):
        raise ConflictError("the indexer is writing the search index right now", remedy="try the rebuild again in a minute")
    try:
        index = open_index(settings, writer=True)
        try:
            _reset(db, index)
        finally:
            index.close()
    finally:
        _release_lease(db, worker_id)
    total = _catch_up(db, settings, worker_id, batch_size)
    log.info("search index rebuilt: %d documents", total)
    return total


def _catch_up(db: Database, settings: Settings, worker_id: str, batch_size: int) -> int:
    total = 0
    while written := index_pending(db, settings, worker_id=worker_id, limit=batch_size):
        total += written
    return total


def expunge_removed(settings: Settings) -> bool | None:
    """Drop the stored copies of removed documents where the backend offers it
    (model.Expungeable, the cluster): True when none is left, False when some are
    still there, None when the backend cannot do it on request (tantivy)."""
    index = open_index(settings, writer=True)
    try:
        return index.expunge() if isinstance(index, Expungeable) else None
    finally:
        index.close()


@dataclass(frozen=True)
class Outage:
    """The search index could not be written: since when, why, and the next try."""

    since: dt.datetime
    reason: str
    next_try: dt.datetime | None


def outage(conn: Connection) -> Outage | None:
    """The current outage of the search index, or None while it answers."""
    value = get_meta(conn, OUTAGE_KEY)
    if not value:
        return None
    when, _, reason = value.partition(" ")
    try:
        since = dt.datetime.fromisoformat(when)
    except ValueError:
        return None
    until, _seconds = _parse_pause(get_meta(conn, UNAVAILABLE_KEY))
    return Outage(since, reason, until)


def backlog(conn: Connection) -> int:
    """Documents waiting for the indexer."""
    return int(conn.execute(select(func.count()).select_from(documents).where(_pending_clause())).scalar_one())


class LiveIndex:
    """A reader of the search index that reloads when the indexer has committed."""

    def __init__(self, db: Database, index: SearchIndex) -> None:
        self.db = db
        self.index = index
        self._seen: str | None = None

    @classmethod
    def open(cls, db: Database, settings: Settings) -> LiveIndex:
        return cls(db, open_index(settings, writer=False))

    def fresh(self) -> SearchIndex:
        with self.db.read() as conn:
            generation = get_meta(conn, GENERATION_KEY, "0")
        if generation != self._seen:
            self.index.reload()
            self._seen = generation
        return self.index

    def search(
        self, query: str, *, visible: Filter, filters: Filter = MATCH_ALL, offset: int = 0, limit: int = 20
    ) -> SearchResults:
        return self.fresh().search(query, visible=visible, filters=filters, offset=offset, limit=limit)

    def count(self) -> int:
        return self.fresh().count()

    def close(self) -> None:
        self.index.close()


def status_of(*, doc_class: str | None, state: str, flags: Mapping[str, Any] | None = None) -> str:
    """The filter field `status`: "review" while a person must look at it, "filed"
    once classified and labelled, "unclassified" before that.

    Must equal access.document_status (the policy's view of the same document), or a
    search could show what `may` refuses; tests/index/test_feed.py checks both
    agree. (Not imported from access: access imports this room.)
    """
    if state == State.needs_review:
        return "review"
    if doc_class is None or not (flags or {}).get(LABELLED_FLAG):
        return "unclassified"
    return "filed"


# ---------------------------------------------------------------- lease


def _take_lease(db: Database, worker_id: str, seconds: float) -> bool:
    now = utcnow()
    until = now + dt.timedelta(seconds=seconds)
    with db.write() as conn:
        row = conn.execute(select(leases.c.owner, leases.c.until).where(leases.c.name == LEASE_NAME)).first()
        if row is None:
            conn.execute(leases.insert().values(name=LEASE_NAME, owner=worker_id, until=until))
            return True
        if row.owner != worker_id and row.until > now:
            return False
        conn.execute(leases.update().where(leases.c.name == LEASE_NAME).values(owner=worker_id, until=until))
        return True


def _release_lease(db: Database, worker_id: str) -> None:
    with db.write() as conn:
        conn.execute(leases.delete().where(leases.c.name == LEASE_NAME, leases.c.owner == worker_id))


def _holds_lease(conn: Connection, worker_id: str) -> bool:
    row = conn.execute(select(leases.c.owner, leases.c.until).where(leases.c.name == LEASE_NAME)).first()
    return row is not None and row.owner == worker_id and row.until > utcnow()


# ---------------------------------------------------------------- batch


def _write_batch(db: Database, index: SearchIndex, worker_id: str, limit: int) -> int:
    with db.read() as conn:
        batch = _read_batch(conn, limit)
    if not batch:
        return 0
    index.add(p.document for p in batch if p.document is not None)
    index.remove(p.doc_id for p in batch if p.document is None)
    fault_point("mid_index_commit")
    index.commit()
    fault_point("after_index_commit")
    _record(db, batch, worker_id)
    log.info("indexed %d documents (%d removed)", len(batch), sum(p.document is None for p in batch))
    return len(batch)


def _pending_clause() -> Any:
    """Documents to write (or remove): behind the index, and not in the middle of
    the pipeline. A document is indexed once its last stage is done, so search
    never shows it between stages (e.g. labelled but not yet matched, on its way
    to the review queue); documents leaving (rejected, destroyed, parked) go at once."""
    behind = or_(documents.c.index_version > documents.c.indexed_version, documents.c.stage == INDEX_STAGE)
    settled = or_(
        documents.c.stage.is_(None),
        documents.c.stage == INDEX_STAGE,
        documents.c.state.in_((State.rejected, State.destroyed, State.parked)),
    )
    return and_(behind, settled)


def _read_batch(conn: Connection, limit: int) -> list[_Pending]:
    rows = conn.execute(select(documents).where(_pending_clause()).order_by(documents.c.id).limit(limit)).all()
    return _as_pending(conn, rows)


def _as_pending(conn: Connection, rows: list[Any]) -> list[_Pending]:
    wanted = [r for r in rows if r.state in State.INDEXABLE]
    texts = _page_texts(conn, [r.id for r in wanted])
    people = _patients(conn, {r.patient_id for r in wanted if r.patient_id is not None})
    return [
        _Pending(
            doc_id=r.id,
            version=r.index_version,
            state=r.state,
            stage=r.stage,
            document=_document(r, texts.get(r.id, ""), people.get(r.patient_id)) if r.state in State.INDEXABLE else None,
        )
        for r in rows
    ]


def _page_texts(conn: Connection, doc_ids: list[int]) -> dict[int, str]:
    by_doc: dict[int, dict[int, str]] = {}
    if doc_ids:
        query = select(pages.c.document_id, pages.c.page_no, pages.c.text).where(pages.c.document_id.in_(doc_ids))
        for row in conn.execute(query):
            by_doc.setdefault(row.document_id, {})[row.page_no] = row.text or ""
    return {doc_id: _join_pages(numbered) for doc_id, numbered in by_doc.items()}


def _join_pages(numbered: dict[int, str]) -> str:
    """Page n is the n-th piece, empty where a page has no row, so hits name the right page."""
    last = max(numbered)
    return PAGE_BREAK.join(numbered.get(n, "").replace(PAGE_BREAK, " ") for n in range(1, last + 1))


def _patients(conn: Connection, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in conn.execute(select(patients).where(patients.c.id.in_(ids)))}


def _document(row: Any, text: str, patient: Any) -> IndexDocument:
    flags = row.flags or {}
    return IndexDocument(
        doc_id=row.id,
        text=text,
        title=str(flags.get("title") or row.original_name or ""),
        doc_class=row.doc_class,
        source=row.source,
        inbox=row.inbox,
        patient_id=row.patient_id,
        patient_names=(f"{patient.family_name}, {patient.given_name}",) if patient is not None else (),
        patient_birth_date=patient.birth_date if patient is not None else None,
        doc_date=row.doc_date,
        received=row.received_at.astimezone().date(),  # the office's calendar day
        labels=tuple(str(label) for label in (row.labels or ())),
        status=status_of(doc_class=row.doc_class, state=row.state, flags=flags),
        chart_restricted=bool(patient.restricted) if patient is not None else False,
    )


def _record(db: Database, batch: Iterable[_Pending], worker_id: str) -> None:
    from chartdesk import access  # the access room's policy imports this room's filters

    now = utcnow()
    with db.write() as conn:
        if not _holds_lease(conn, worker_id):
            raise LeaseLostError("the index writer lease expired during a batch; the next batch writes these documents again")
        for p in batch:
            conn.execute(
                documents.update()
                .where(documents.c.id == p.doc_id, documents.c.index_version == p.version)
                .values(indexed_version=p.version)
            )
            if p.stage == INDEX_STAGE:
                _finish_stage(conn, p, now)
        access.prune_access_changes(conn)  # what the index now holds need not be excluded any more
        bump_counter(conn, GENERATION_KEY)


def _finish_stage(conn: Connection, p: _Pending, now: dt.datetime) -> None:
    """The index stage is done: stage cleared; state becomes "indexed" (needs_review stays)."""
    new_state = State.indexed if p.state in State.INDEXABLE and p.state != State.needs_review else p.state
    conn.execute(
        documents.update()
        .where(documents.c.id == p.doc_id, documents.c.stage == INDEX_STAGE, documents.c.state == p.state)
        .values(stage=None, state=new_state, due_at=None, lease_owner=None, lease_until=None, updated_at=now)
    )


# ---------------------------------------------------------------- rebuilding beside the live index


def _rebuild_beside(db: Database, settings: Settings, live: Rebuildable, worker_id: str, batch_size: int) -> int:
    """Fill a new index from the database while the live one serves searches and
    the indexer keeps it current; then, holding the writer lease (no batch in
    flight), swap it in and record what it holds. Documents changed meanwhile
    are behind their recorded version and the next batches write them again."""
    staged = live.begin_rebuild()
    try:
        written = _fill(db, staged, batch_size)
        _wait_for_lease(db, worker_id, settings.pipeline.lease_seconds)
        try:
            live.publish(staged)
            _record_rebuilt(db, written, live.identity())  # type: ignore[attr-defined]
        finally:
            _release_lease(db, worker_id)
    except BaseException:
        live.discard(staged)
        raise
    _resume(db)
    return len(written)


def _fill(db: Database, staged: SearchIndex, batch_size: int) -> dict[int, int]:
    """Every indexable document into `staged`: {doc_id: index_version read} of every document."""
    written: dict[int, int] = {}
    after = 0
    while True:
        with db.read() as conn:
            batch = _read_all(conn, after, batch_size)
        if not batch:
            break
        staged.add(p.document for p in batch if p.document is not None)
        written.update({p.doc_id: p.version for p in batch})
        after = batch[-1].doc_id
    staged.commit()
    return written


def _read_all(conn: Connection, after: int, limit: int) -> list[_Pending]:
    rows = conn.execute(select(documents).where(documents.c.id > after).order_by(documents.c.id).limit(limit)).all()
    return _as_pending(conn, list(rows))


def _wait_for_lease(db: Database, worker_id: str, seconds: float) -> None:
    """Wait for the running batch (if any) to finish, then hold the writer lease."""
    deadline = time.monotonic() + max(seconds, 10.0) * 2
    while not _take_lease(db, worker_id, seconds):
        if time.monotonic() > deadline:
            raise ConflictError("the indexer kept the search index busy", remedy="try the rebuild again in a minute")
        time.sleep(LEASE_WAIT_SECONDS)


def _record_rebuilt(db: Database, written: dict[int, int], identity: str) -> None:
    """The new index holds each document at the version read; anything else waits."""
    with db.write() as conn:
        conn.execute(documents.update().where(documents.c.indexed_version != 0).values(indexed_version=0))
        by_version: dict[int, list[int]] = {}
        for doc_id, version in written.items():
            by_version.setdefault(version, []).append(doc_id)
        for version, ids in by_version.items():
            for i in range(0, len(ids), 500):
                conn.execute(documents.update().where(documents.c.id.in_(ids[i : i + 500])).values(indexed_version=version))
        set_meta(conn, IDENTITY_KEY, identity)
        bump_counter(conn, GENERATION_KEY)


# ---------------------------------------------------------------- an unreachable cluster


def _pausing(db: Database) -> bool:
    with db.read() as conn:
        value = get_meta(conn, UNAVAILABLE_KEY)
    until, _pause_seconds = _parse_pause(value)
    return until is not None and utcnow() < until


def _parse_pause(value: str | None) -> tuple[dt.datetime | None, float]:
    """meta "index_unavailable_until": "<ISO time> <pause seconds>", or empty."""
    try:
        when, seconds = (value or "").split(" ")
        return dt.datetime.fromisoformat(when), float(seconds)
    except ValueError:
        return None, 0.0


def _pause(db: Database, exc: Exception) -> None:
    with db.write() as conn:
        _until, previous = _parse_pause(get_meta(conn, UNAVAILABLE_KEY))
        pause = min(MAX_PAUSE_SECONDS, 2 * previous) if previous else FIRST_PAUSE_SECONDS
        set_meta(conn, UNAVAILABLE_KEY, f"{(utcnow() + dt.timedelta(seconds=pause)).isoformat()} {pause}")
        if not get_meta(conn, OUTAGE_KEY):
            set_meta(conn, OUTAGE_KEY, f"{utcnow().isoformat()} {_reason(exc)}")
        waiting = backlog(conn)
    log.warning("search index unavailable (%s); %d document(s) wait in the backlog; next try in %.0fs",
                type(exc).__name__, waiting, pause)


def _reason(exc: Exception) -> str:
    """What the status page says about a failed try (no document content is in it)."""
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    remedy = getattr(exc, "remedy", None)
    return " ".join(f"{text.strip()}{'; ' + remedy if remedy else ''}".split())[:500]


def _resume(db: Database) -> None:
    with db.read() as conn:
        paused = get_meta(conn, UNAVAILABLE_KEY) or get_meta(conn, OUTAGE_KEY)
    if paused:
        with db.write() as conn:
            set_meta(conn, UNAVAILABLE_KEY, "")
            set_meta(conn, OUTAGE_KEY, "")
        log.info("search index reachable again")


# ---------------------------------------------------------------- identity


def _check_identity(db: Database, index: SearchIndex) -> None:
    with db.read() as conn:
        known = get_meta(conn, IDENTITY_KEY)
    if known != index.identity():
        if known is not None:
            log.warning("search index differs from the one the database knows: indexing everything again")
        _reset(db, index)


def _reset(db: Database, index: SearchIndex) -> None:
    """Empty the index and mark every document as not yet indexed (in that order)."""
    index.clear()
    with db.write() as conn:
        conn.execute(documents.update().where(documents.c.indexed_version != 0).values(indexed_version=0))
        set_meta(conn, IDENTITY_KEY, index.identity())
        bump_counter(conn, GENERATION_KEY)
