"""The status page's reads and its one action (retry a parked document).

Counts by state, the search index backlog (and since when the index cannot be
written, if it cannot), parked documents with their error,
and the quarantine with reasons a receptionist can act on. The "maintain"
permission (no patient data) opens it; the quarantine's file names, which may
name a patient, are shown only to roles that work the review queue, as
`chartdesk status` does. Retrying processes a parked document again from the
first stage, as `chartdesk reprocess` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from chartdesk import access, index, pipeline
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.db import document_events, documents, utcnow
from chartdesk.errors import ConflictError, NotFoundError
from chartdesk.stages import State

LIMIT = 100


@dataclass(frozen=True)
class Problem:
    doc_id: int
    received_at: dt.datetime
    name: str
    code: str
    text: str
    stage: str | None


@dataclass
class Status:
    states: dict[str, int]
    index_backlog: int
    index_outage: index.Outage | None = None
    parked: list[Problem] = field(default_factory=list)
    quarantine: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.states.values())


HIDDEN_NAME = "(hidden: records staff can see it)"


def status(app: App, principal: Principal) -> Status:
    access.require(principal, "maintain")
    names = access.may(principal, "review")
    with app.db.read() as conn:
        report = Status(pipeline.counts_by_state(conn), pipeline.index_backlog(conn), index.outage(conn))
        for state, bucket in ((State.parked, report.parked), (State.rejected, report.quarantine)):
            rows = conn.execute(
                select(documents.c.id, documents.c.received_at, documents.c.original_name, documents.c.reason_code,
                       documents.c.reason, documents.c.last_error, documents.c.stage)
                .where(documents.c.state == state).order_by(documents.c.id.desc()).limit(LIMIT))
            bucket.extend(Problem(r.id, r.received_at, r.original_name if names else HIDDEN_NAME,
                                  r.reason_code or "failed",
                                  r.reason or r.last_error or "", r.stage) for r in rows)
    return report


def retry(app: App, principal: Principal, doc_id: int) -> None:
    """Process a parked document again from the first stage (a new generation)."""
    reprocess(app, principal, [doc_id], parked_only=True)


def reprocess(app: App, principal: Principal, doc_ids: Sequence[int], *, parked_only: bool = False) -> None:
    """Process documents again from the first stage, as a new generation (after a
    fix; `parked_only` for the status page's retry). All or none are queued."""
    access.require(principal, "maintain")
    now = utcnow()
    with app.db.write() as conn:
        for doc_id in doc_ids:
            row = conn.execute(select(documents.c.state, documents.c.sha256).where(documents.c.id == doc_id)).first()
            if row is None:
                raise NotFoundError(f"there is no document {doc_id}", remedy="check the number on the status page")
            if parked_only and row.state != State.parked:
                raise ConflictError(
                    f"document {doc_id} is not waiting for a retry (it is {row.state.replace('_', ' ')})",
                    remedy="reload the status page")
            if row.state == State.destroyed or not app.store.exists(row.sha256):
                raise ConflictError(f"the original of document {doc_id} is not in the store",
                                    remedy="drop the file into an inbox again")
            conn.execute(documents.update().where(documents.c.id == doc_id)
                         .values(**pipeline.requeue_values(conn, doc_id, now)))
            conn.execute(document_events.insert().values(document_id=doc_id, at=now, kind="reprocess",
                                                         detail={"was": row.state, "by": principal.username}))
