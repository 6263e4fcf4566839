"""The pipeline: the table of stages and the worker loop (claims, leases, retries).

The `documents` row is the queue. A worker claims the next document whose stage
is due, runs that one stage outside any transaction, and commits the result and
the next state in one short transaction that checks the lease is still its own.
A worker that dies loses its lease and the stage runs again elsewhere; the result
is committed once (a unique key per document, stage and generation), and index
writes follow only committed results.

    received ─► extract | transcribe ─► classify ─► label ─► match ─► index
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from chartdesk import quarantine
from chartdesk.app import App
from chartdesk.config import Settings
from chartdesk.db import document_events, documents, stage_results, utcnow
from chartdesk.errors import BadInputError, ConfigError, LeaseLostError, ToolMissingError
from chartdesk.faults import fault_point
from chartdesk.logs import current_doc
from chartdesk.stages import Doc, Stage, StageContext, StageResult, State

log = logging.getLogger(__name__)

INDEX = "index"  # the last stage; run in batches by whichever worker holds the index lease
IDLE_SECONDS = 0.2
INDEX_DELAY_SECONDS = 0.5  # under load, a finished document waits about this long for the index


@dataclass(frozen=True, slots=True)
class StageRef:
    """One row of the stage table: the stage's name, where it lives (loaded on
    first use, so commands that never run a stage do not load OCR or speech
    libraries) and the kinds of file it can start with."""

    name: str
    target: str  # "module:attribute"
    starts: frozenset[str] = frozenset()

    def load(self) -> Stage:
        module, _, attr = self.target.partition(":")
        stage: Stage = getattr(importlib.import_module(module), attr)
        return stage


# The pipeline, top to bottom. The index stage follows the last of these.
STAGE_TABLE: tuple[StageRef, ...] = (
    StageRef("extract", "chartdesk.ocr:extract_stage", starts=frozenset({"pdf", "image"})),
    StageRef("transcribe", "chartdesk.transcription:transcribe_stage", starts=frozenset({"audio"})),
    StageRef("classify", "chartdesk.classify:classify_stage"),
    StageRef("label", "chartdesk.access:label_stage"),
    StageRef("match", "chartdesk.classify:match_stage"),
)


@functools.cache
def stages() -> tuple[Stage, ...]:
    loaded = tuple(ref.load() for ref in STAGE_TABLE)
    for ref, stage in zip(STAGE_TABLE, loaded, strict=True):
        if stage.name != ref.name:
            raise ConfigError(f"stage table names {ref.name!r} but {ref.target} is {stage.name!r}")
    return loaded


def warm_up(settings: Settings) -> None:
    """Load every stage, and let those that have one run their warm-up (a new
    worker's first document then costs what any other does)."""
    for stage in stages():
        prepare = getattr(stage, "warm_up", None)
        if prepare is not None:
            prepare(settings)




def first_stage(kind: str) -> str:
    for ref in STAGE_TABLE:
        if kind in ref.starts:
            return ref.name
    raise ConfigError(f"no stage reads {kind or 'this kind of'} files", remedy="this build cannot process them")


def enqueue_values(kind: str, now: dt.datetime) -> dict[str, Any]:
    """Column values that put a new document at the start of the pipeline."""
    return {
        "state": State.received,
        "stage": first_stage(kind),
        "due_at": now,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
    }


def requeue_values(conn: Connection, doc_id: int, now: dt.datetime) -> dict[str, Any]:
    """Column values that process a document again from the start, as a new
    generation (earlier results stay recorded under their generation)."""
    row = conn.execute(select(documents.c.kind, documents.c.generation).where(documents.c.id == doc_id)).one()
    return {
        **enqueue_values(row.kind, now),
        "generation": row.generation + 1,
        "last_error": None,
        "reason_code": None,
        "reason": None,
        "updated_at": now,
    }


def next_stage(doc: Doc, after: str, ctx: StageContext) -> str:
    """The first stage after `after` that applies to the document, else the index."""
    names = [s.name for s in stages()]
    later = stages()[names.index(after) + 1 :] if after in names else ()
    for stage in later:
        if stage.applies(doc, ctx):
            return stage.name
    return INDEX


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# ── claiming ────────────────────────────────────────────────────────────────


def claim(app: App, worker_id: str) -> Doc | None:
    """Lease the next due document (not the index stage), or None."""
    now = utcnow()
    lease = dt.timedelta(seconds=app.settings.pipeline.lease_seconds)
    with app.db.write() as conn:
        query = (
            select(documents)
            .where(
                documents.c.stage.is_not(None),
                documents.c.stage != INDEX,
                documents.c.state.not_in((State.parked, State.rejected, State.destroyed)),
                documents.c.due_at <= now,
                or_(documents.c.lease_until.is_(None), documents.c.lease_until < now),
            )
            .order_by(documents.c.due_at, documents.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = conn.execute(query).first()
        if row is None:
            return None
        conn.execute(
            documents.update()
            .where(documents.c.id == row.id)
            .values(lease_owner=worker_id, lease_until=now + lease, attempts=row.attempts + 1, updated_at=now)
        )
        doc = Doc.from_row(row)
    return _replace(doc, attempts=doc.attempts + 1)


def _replace(doc: Doc, **changes: Any) -> Doc:
    return dataclasses.replace(doc, **changes)


class _Lease:
    """Renews a document's lease in the background while its stage runs."""

    def __init__(self, app: App, doc: Doc, worker_id: str) -> None:
        self.app, self.doc, self.worker_id = app, doc, worker_id
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{doc.id}", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        if self.lost.is_set():
            raise LeaseLostError(f"document {self.doc.id} was taken over by another worker")

    def _run(self) -> None:
        seconds = self.app.settings.pipeline.lease_seconds
        while not self._stop.wait(seconds / 3):
            try:
                if not self.renew(seconds):
                    self.lost.set()
                    return
            except Exception:  # noqa: BLE001 - a busy database must not kill the stage
                log.warning("could not renew the lease on document %s; will try again", self.doc.id)

    def renew(self, seconds: float) -> bool:
        now = utcnow()
        with self.app.db.write() as conn:
            return bool(
                conn.execute(
                    documents.update()
                    .where(documents.c.id == self.doc.id, documents.c.lease_owner == self.worker_id)
                    .values(lease_until=now + dt.timedelta(seconds=seconds))
                ).rowcount
            )


# ── running one claimed document ───────────────────────────────────────────


def run_claimed(app: App, doc: Doc, worker_id: str) -> str:
    """Run the document's due stage and commit what came of it. Returns a word
    for what happened: done, rejected, retry, parked, lost."""
    stage = {s.name: s for s in stages()}.get(doc.stage or "")
    token = current_doc.set(doc.id)
    try:
        if stage is None:
            return _commit_failure(app, doc, worker_id, ConfigError(f"unknown stage {doc.stage!r}"), park=True)
        with _Lease(app, doc, worker_id) as lease:
            ctx = _context(app, worker_id, lease.check)
            started = time.monotonic()
            try:
                result = stage.run(doc, ctx)
            except LeaseLostError:
                log.warning("lease lost while running %s; another worker has it", stage.name)
                return "lost"
            except BadInputError as err:
                return _commit_rejection(app, doc, worker_id, err)
            except (ToolMissingError, ConfigError) as err:
                return _commit_failure(app, doc, worker_id, err, park=True)
            except Exception as err:  # noqa: BLE001 - any other failure is retried, then parked
                log.warning("stage %s failed (attempt %s): %s", stage.name, doc.attempts, type(err).__name__)
                log.debug("stage failure", exc_info=True)
                return _commit_failure(app, doc, worker_id, err, park=False)
            seconds = time.monotonic() - started
        fault_point("after_stage_run")
        return _commit_success(app, doc, worker_id, stage, ctx, result, seconds)
    finally:
        current_doc.reset(token)


def _context(app: App, worker_id: str, heartbeat: Callable[[], None]) -> StageContext:
    return StageContext(
        settings=app.settings,
        blob_path=app.store.path,
        derived_dir=app.derived_dir,
        worker_id=worker_id,
        heartbeat=heartbeat,
    )


def _owned(doc: Doc, worker_id: str) -> Any:
    return and_(
        documents.c.id == doc.id,
        documents.c.lease_owner == worker_id,
        documents.c.generation == doc.generation,
        documents.c.stage == doc.stage,
    )


def _commit_success(
    app: App, doc: Doc, worker_id: str, stage: Stage, ctx: StageContext, result: StageResult, seconds: float
) -> str:
    now = utcnow()
    after = _replace(doc, **{k: v for k, v in result.updates.items() if k in _DOC_FIELDS})
    following = None if result.done else next_stage(after, stage.name, ctx)
    values: dict[str, Any] = {
        **result.updates,
        "state": result.state,
        "stage": following,
        "due_at": now if following else None,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
        "last_error": None,
        "updated_at": now,
    }
    if following == INDEX:
        values["index_version"] = documents.c.index_version + 1
    with app.db.write() as conn:
        if not conn.execute(documents.update().where(_owned(doc, worker_id)).values(**values)).rowcount:
            log.warning("lease lost before commit of %s; result discarded", stage.name)
            return "lost"
        conn.execute(
            stage_results.insert().values(
                document_id=doc.id,
                stage=stage.name,
                generation=doc.generation,
                worker=worker_id,
                committed_at=now,
                seconds=round(seconds, 3),
                result={**result.summary, "warnings": list(result.warnings)},
            )
        )
        if result.record is not None:
            result.record(conn)
    return "done"


_DOC_FIELDS = {"page_count", "flags", "doc_class", "patient_id", "labels", "kind", "media_type"}


def _commit_rejection(app: App, doc: Doc, worker_id: str, err: BadInputError) -> str:
    now = utcnow()
    entry = quarantine.entry_for(app.settings, doc_id=doc.id, name=doc.original_name, when=now)
    text = quarantine.reason_text(doc_id=doc.id, name=doc.original_name, when=now, code=err.code, reason=str(err))
    quarantine.link_blob(app.store.path(doc.sha256), entry, text)
    with app.db.write() as conn:
        updated = conn.execute(
            documents.update()
            .where(_owned(doc, worker_id))
            .values(
                state=State.rejected,
                stage=None,
                due_at=None,
                lease_owner=None,
                lease_until=None,
                reason_code=err.code,
                reason=str(err),
                quarantine_path=str(entry.path),
                index_version=documents.c.index_version + 1,
                updated_at=now,
            )
        ).rowcount
        if updated:
            conn.execute(
                document_events.insert().values(
                    document_id=doc.id, at=now, kind="rejected", detail={"code": err.code, "stage": doc.stage}
                )
            )
    log.info("document rejected at %s: %s", doc.stage, err.code)
    return "rejected" if updated else "lost"


def _commit_failure(app: App, doc: Doc, worker_id: str, err: Exception, *, park: bool) -> str:
    now = utcnow()
    settings = app.settings.pipeline
    park = park or doc.attempts >= settings.max_attempts
    message = _error_text(err)
    delay = settings.retry_backoff_seconds * (2 ** max(doc.attempts - 1, 0))
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_until": None,
        "last_error": message,
        "updated_at": now,
    }
    if park:
        values.update(state=State.parked, due_at=None)
    else:
        values.update(due_at=now + dt.timedelta(seconds=delay))
    with app.db.write() as conn:
        updated = conn.execute(documents.update().where(_owned(doc, worker_id)).values(**values)).rowcount
        if updated:
            conn.execute(
                document_events.insert().values(
                    document_id=doc.id,
                    at=now,
                    kind="parked" if park else "stage_failed",
                    detail={"stage": doc.stage, "attempt": doc.attempts, "error": message},
                )
            )
    if not updated:
        return "lost"
    return "parked" if park else "retry"


def _error_text(err: Exception) -> str:
    text = str(err) or type(err).__name__
    if not isinstance(err, BadInputError | ConfigError | ToolMissingError):
        text = f"{type(err).__name__}: {text}"
        frames = traceback.extract_tb(err.__traceback__)
        if frames:
            last = frames[-1]
            text += f" (at {os.path.basename(last.filename)}:{last.lineno})"
    return text[:2000]


# ── the index stage ────────────────────────────────────────────────────────


def index_backlog(conn: Connection) -> int:
    """Documents done with their stages and waiting for the indexer."""
    from chartdesk import index

    return index.backlog(conn)


def index_step(app: App, worker_id: str) -> int:
    """Write a batch of pending documents to the search index, if this worker can
    take the index lease. Returns how many documents were written or removed."""
    from chartdesk import index

    return index.index_pending(app.db, app.settings, worker_id=worker_id, limit=app.settings.pipeline.index_batch_size)


# ── the worker loop ────────────────────────────────────────────────────────


@dataclass
class WorkerStats:
    done: int = 0
    failed: int = 0
    indexed: int = 0


@dataclass
class _IndexClock:
    """When this worker writes finished documents to the search index: at once when
    it has no stage to run, else once the backlog fills a batch or has waited
    INDEX_DELAY_SECONDS. Under load one commit then serves many documents (a
    tantivy commit costs 15-30 ms, as much as a born-digital document's stages)."""

    since: float | None = None

    def due(self, backlog: int, batch: int) -> bool:
        now = time.monotonic()
        if self.since is None:
            self.since = now
        return backlog >= batch or now - self.since >= INDEX_DELAY_SECONDS

    def written(self) -> None:
        self.since = None


def work(
    app: App,
    *,
    worker_id: str | None = None,
    stop: threading.Event | None = None,
    until: Callable[[], bool] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> WorkerStats:
    """Claim and run stages until `stop` is set or `until()` says the work is done."""
    worker_id = worker_id or new_worker_id()
    stop = stop or threading.Event()
    stats = WorkerStats()
    clock = _IndexClock()
    while not stop.is_set():
        if until is not None and until():
            break
        did = _one_step(app, worker_id, stats, clock)
        if did and on_step:
            on_step(did)
        if not did:
            stop.wait(IDLE_SECONDS)
    return stats


def _one_step(app: App, worker_id: str, stats: WorkerStats, clock: _IndexClock) -> str:
    with app.db.read() as conn:
        backlog = index_backlog(conn)
    if not backlog:
        clock.written()  # by another worker
    elif clock.due(backlog, app.settings.pipeline.index_batch_size) and _index(app, worker_id, stats, clock):
        return "indexed"
    doc = claim(app, worker_id)
    if doc is None:
        return "indexed" if backlog and _index(app, worker_id, stats, clock) else ""
    outcome = run_claimed(app, doc, worker_id)
    if outcome == "done":
        stats.done += 1
    elif outcome in ("parked", "rejected", "retry"):
        stats.failed += 1
    return outcome


def _index(app: App, worker_id: str, stats: WorkerStats, clock: _IndexClock) -> bool:
    written = index_step(app, worker_id)
    if written:
        stats.indexed += written
        clock.written()
    return bool(written)


# ── reading the pipeline's state ───────────────────────────────────────────


def counts_by_state(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(documents.c.state, func.count()).group_by(documents.c.state)).all()
    return {state: int(n) for state, n in rows}


def pending_ids(conn: Connection, doc_ids: Sequence[int]) -> set[int]:
    """The ids among `doc_ids` that still have pipeline work to do (a stage due,
    or an index write pending)."""
    if not doc_ids:
        return set()
    rows = conn.execute(
        select(documents.c.id).where(
            documents.c.id.in_(doc_ids),
            or_(
                and_(documents.c.stage.is_not(None), documents.c.state.not_in((State.parked, State.rejected))),
                documents.c.index_version > documents.c.indexed_version,
            ),
        )
    ).scalars()
    return set(rows)




def mark_for_reindex(conn: Connection, doc_ids: Sequence[int]) -> None:
    """Call inside a write transaction after changing what is indexed of these
    documents (text, class, patient, access attributes)."""
    if doc_ids:
        conn.execute(
            documents.update()
            .where(documents.c.id.in_(doc_ids))
            .values(index_version=documents.c.index_version + 1, updated_at=utcnow())
        )

