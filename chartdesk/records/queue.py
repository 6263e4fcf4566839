"""The review queue as the web works it: list, one item with its evidence, and
the two decisions. The policy is asked the same questions as the CLI asks
(review, then view / file / reclassify on the document); the charts room
records and audits each decision."""

from __future__ import annotations

from dataclasses import dataclass

from chartdesk import access, audit, charts
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.db import utcnow
from chartdesk.records import reading

REASON_TEXT = {
    "unassigned": "no patient found in the text",
    "no_identifiers": "no name, date of birth or MRN found",
    "ambiguous": "two patients are about as likely",
    "weak": "the best patient is not certain enough",
    "one_identifier": "only one identifier agrees",
    "class_uncertain": "the class is uncertain",
    "conflict": "identifiers point to different patients",
}


@dataclass
class ItemView:
    document: reading.DocumentView
    review: charts.ReviewView
    position: int | None  # 1-based place in the open queue
    queue_size: int
    next_id: int | None


def open_queue(app: App, principal: Principal, *, limit: int = 200) -> list[charts.QueueItem]:
    access.require(principal, "review")
    with app.db.write() as conn:
        items = charts.list_queue(conn, limit=limit)
        audit.record(conn, audit.ReviewQueueViewed(principal=principal, item_count=len(items)))
    return items


def open_item(app: App, principal: Principal, doc_id: int) -> ItemView:
    access.require(principal, "review")
    document = reading.open_document(app, principal, doc_id)  # checks view, audits DocumentViewed
    with app.db.read() as conn:
        review = charts.show(conn, doc_id)
        queue = [i.document_id for i in charts.list_queue(conn, limit=1000)]
    position = queue.index(doc_id) + 1 if doc_id in queue else None
    following = [d for d in queue if d != doc_id]
    later = [d for d in following if position is None or queue.index(d) + 1 > position]
    return ItemView(document, review, position, len(queue), (later or following or [None])[0])


def assign(app: App, principal: Principal, doc_id: int, *, patient: str, doc_class: str, reason: str) -> charts.Decision:
    """File the document to `patient` ("#id" or an MRN; "" keeps the current one) with `doc_class`."""
    access.require(principal, "review")
    with app.db.read() as conn:
        facts = access.require_document(conn, principal, doc_id, "file")
        if doc_class and doc_class != facts.doc_class:
            access.require_document(conn, principal, doc_id, "reclassify")
        patient_id = charts.resolve_patient(conn, patient.strip()) if patient.strip() else None
    return charts.assign(app.db, app.settings, doc_id, principal=principal, patient_id=patient_id,
                         doc_class=doc_class or None, reason=reason.strip())


def reject(app: App, principal: Principal, doc_id: int, *, reason: str) -> charts.Decision:
    access.require(principal, "review")
    with app.db.read() as conn:
        access.require_document(conn, principal, doc_id, "view")
    return charts.reject(app.db, doc_id, principal=principal, reason=reason)


def reason_text(code: str) -> str:
    return REASON_TEXT.get(code, code.replace("_", " "))


def waiting_since(item: charts.QueueItem) -> str:
    hours = max(0, int((utcnow() - item.opened_at).total_seconds() // 3600))
    return f"{hours // 24} d" if hours >= 48 else f"{hours} h"
