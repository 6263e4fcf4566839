"""Destroying one document's records inside a write transaction.

What goes: every row about the document in any table that has a `document_id`
column (pages of text, transcripts, classification, identifiers found in it,
match candidates, review items and decisions, corrections, chart moves, label
decisions, stage results; tables added later are covered the same way), its
document events (they name the dropped file), and its part of a split fax's
parent pages. The `documents` row stays as a tombstone: state `destroyed`,
no file name, no reasons, no labels; its class, patient, dates and SHA-256
stay, and `retention_tombstones` records them with the rule and who decided.

What stays: the audit log, break-the-glass grants and the register of
disclosures (compliance records that name the document by number only), and
the retention room's own records. The files to remove (derived folder, page
images, quarantine copies, the original) are returned, to be removed once the
search index no longer holds the document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from chartdesk import charts
from chartdesk.config import Settings
from chartdesk.db import document_events, documents, metadata, pages, retention_tombstones
from chartdesk.quarantine import REASON_SUFFIX

# Tables with a document_id column whose rows outlive the document.
KEEP = frozenset({"audit_events", "access_grants", "disclosures", "document_events", "legal_hold_documents",
                  "retention_reviews", "retention_run_items", "retention_tombstones"})
DESTROYED = "destroyed"


@dataclass(frozen=True, slots=True)
class Decision:
    """Who decided a destruction and under which rule (for the tombstone)."""

    run_id: int
    rule: str | None
    disposition_date: dt.date | None
    approved_by: str
    applied_by: str


@dataclass
class Scrubbed:
    document_id: int
    files: list[str] = field(default_factory=list)
    blob: str | None = None
    learnt_from: bool = False  # a staff correction of its class taught the classifier


def destroy_records(conn: Connection, settings: Settings, doc_id: int, decision: Decision, now: dt.datetime) -> Scrubbed:
    row = conn.execute(select(documents).where(documents.c.id == doc_id)).one()._mapping
    out = Scrubbed(doc_id, files=[str(settings.derived_dir / str(doc_id))])
    out.files += _quarantine_files(conn, row)
    if row["parent_id"] is not None:
        out.files += _parent_pages(conn, settings, row)
    out.learnt_from = _has_correction(conn, doc_id)
    _tombstone(conn, row, decision, now)
    for table in _document_tables():
        conn.execute(delete(table).where(table.c.document_id == doc_id))
    conn.execute(delete(document_events).where(document_events.c.document_id == doc_id))
    conn.execute(insert(document_events).values(document_id=doc_id, at=now, kind=DESTROYED,
                                                detail={"run": decision.run_id}))
    conn.execute(update(documents).where(documents.c.id == doc_id).values(
        state=DESTROYED, stage=None, due_at=None, lease_owner=None, lease_until=None,
        generation=documents.c.generation + 1, index_version=documents.c.index_version + 1,
        original_name="", reason=None, reason_code=None, last_error=None, quarantine_path=None,
        flags={DESTROYED: {"run": decision.run_id}}, labels=[], updated_at=now))
    return out


def blob_to_remove(conn: Connection, sha256: str) -> str | None:
    """The original's SHA-256 when no live document uses those bytes any more
    (rejected drops of the same bytes never had them in the store)."""
    rejected = frozenset(conn.execute(select(documents.c.id).where(
        documents.c.sha256 == sha256, documents.c.state == "rejected")).scalars())
    return None if charts.blob_in_use(conn, sha256, ignoring=rejected) else sha256


def _document_tables() -> list:  # type: ignore[type-arg]
    tables = [t for t in metadata.sorted_tables if "document_id" in t.c and t.name not in KEEP]
    return list(reversed(tables))  # children before the tables they point at


def _quarantine_files(conn: Connection, row: object) -> list[str]:
    """Its own quarantine copy, and those of rejected drops of the same bytes."""
    m = row  # a RowMapping
    found = [m["quarantine_path"]] if m["quarantine_path"] else []  # type: ignore[index]
    q = select(documents.c.id, documents.c.quarantine_path).where(
        documents.c.sha256 == m["sha256"], documents.c.state == "rejected",  # type: ignore[index]
        documents.c.quarantine_path.is_not(None))
    others = conn.execute(q).all()
    found += [r.quarantine_path for r in others]
    if others:
        conn.execute(update(documents).where(documents.c.id.in_([r.id for r in others])).values(quarantine_path=None))
    return [p for path in found for p in (path, path + REASON_SUFFIX)]


def _parent_pages(conn: Connection, settings: Settings, row: object) -> list[str]:
    """A split fax's part: its pages of the parent record (text and page images) go too."""
    m = row
    parent, first, last = m["parent_id"], m["page_start"], m["page_end"]  # type: ignore[index]
    in_range = (pages.c.document_id == parent) & pages.c.page_no.between(first or 1, last or first or 1)
    images = conn.execute(select(pages.c.image).where(in_range, pages.c.image.is_not(None))).scalars().all()
    conn.execute(delete(pages).where(in_range))
    folder = settings.derived_dir / str(parent)
    return [str(folder / image) for image in images]


def _has_correction(conn: Connection, doc_id: int) -> bool:
    table = metadata.tables.get("class_corrections")
    return table is not None and conn.execute(select(table.c.document_id).where(table.c.document_id == doc_id)).first() is not None


def _tombstone(conn: Connection, row: object, decision: Decision, now: dt.datetime) -> None:
    m = row
    if conn.execute(select(retention_tombstones.c.document_id).where(
            retention_tombstones.c.document_id == m["id"])).first() is not None:  # type: ignore[index]
        return
    conn.execute(insert(retention_tombstones).values(
        document_id=m["id"], doc_class=m["doc_class"], patient_id=m["patient_id"], doc_date=m["doc_date"],  # type: ignore[index]
        received_on=m["received_at"].date(), sha256=m["sha256"], rule=decision.rule,  # type: ignore[index]
        disposition_date=decision.disposition_date, approved_by=decision.approved_by,
        applied_by=decision.applied_by, run_id=decision.run_id, destroyed_at=now))
