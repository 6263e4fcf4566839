"""Matching again when the patient index changes.

Documents waiting in the review queue for a patient (unassigned, ambiguous,
no candidate...) go back to the match stage through the pipeline's own table:
their `stage` is set to "match" and made due. A document a person has already
decided is left alone.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from chartdesk.classify import Reason
from chartdesk.db import documents, review_decisions, review_items, utcnow

MATCH_REASONS = frozenset(str(r) for r in Reason if r is not Reason.class_uncertain)


def requeue_for_matching(conn: Connection) -> int:
    """Send every open, undecided review item that is about the patient back to matching."""
    decided = select(review_decisions.c.document_id)
    rows = conn.execute(select(review_items.c.document_id, review_items.c.reasons)
                        .where(review_items.c.status == "open", review_items.c.document_id.not_in(decided))).all()
    ids = [r.document_id for r in rows if set(r.reasons or []) & MATCH_REASONS]
    if not ids:
        return 0
    now = utcnow()
    conn.execute(update(documents).where(documents.c.id.in_(ids), documents.c.state == "needs_review")
                 .values(stage="match", due_at=now, attempts=0, updated_at=now))
    return len(ids)
