"""The tables. SQLAlchemy Core, portable SQL: nothing here is SQLite-only.

The `documents` row is the state machine of one document (DESIGN.md):
received -> extracted -> classified -> matched | needs_review -> indexed,
off the main path rejected, parked, no_speech. `stage` names the stage due
next (NULL when nothing is due); a worker holds a lease while it runs it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stored as naive UTC, returned as aware UTC, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("media_type", String(64), nullable=False, default=""),
    Column("kind", String(16), nullable=False, default=""),  # pdf | image | audio | ""
    Column("original_name", Text, nullable=False),
    Column("source", String(16), nullable=False),  # scan | fax | dictation | upload
    Column("inbox", String(32), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("stage", String(32), nullable=True),
    Column("due_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("generation", Integer, nullable=False, default=1),
    Column("last_error", Text, nullable=True),
    Column("reason_code", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("quarantine_path", Text, nullable=True),
    Column("flags", JSON, nullable=False, default=dict),
    Column("page_count", Integer, nullable=True),
    Column("doc_class", String(64), nullable=True),
    Column("class_confidence", Float, nullable=True),
    Column("patient_id", Integer, nullable=True, index=True),
    Column("doc_date", Date, nullable=True),
    Column("labels", JSON, nullable=False, default=list),
    # The search index is kept in step by versions: a change to what is indexed
    # (text, class, patient, access attributes) bumps index_version; the indexer
    # writes the document and sets indexed_version. Any gap is backlog.
    Column("index_version", Integer, nullable=False, default=0),
    Column("indexed_version", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False),
)
Index("ix_documents_due", documents.c.stage, documents.c.due_at)
Index("ix_documents_index_gap", documents.c.index_version, documents.c.indexed_version)

document_events = Table(
    "document_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),
)

# One committed result per document, stage and processing generation:
# the unique constraint is what makes "committed exactly once" checkable.
stage_results = Table(
    "stage_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("worker", String(64), nullable=False),
    Column("committed_at", UTCDateTime(), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("result", JSON, nullable=False, default=dict),
    UniqueConstraint("document_id", "stage", "generation", name="uq_stage_result_once"),
)

pages = Table(
    "pages",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("page_no", Integer, primary_key=True),  # 1-based
    Column("text", Text, nullable=False, default=""),
    Column("confidence", Float, nullable=True),  # mean word confidence 0..100 (OCR only)
    Column("method", String(16), nullable=False),  # text_layer | ocr | empty
    Column("engine", String(64), nullable=False, default=""),
    Column("dpi", Integer, nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("image", Text, nullable=True),  # path of the view image, relative to derived_dir
    Column("tables", JSON, nullable=True),  # table structure read from the text layer
    Column("info", JSON, nullable=False, default=dict),  # provenance: options, warnings, timings
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
)

# The patient master index (owned by charts/; extended there). A chart is a
# patient's documents; `restricted` hides the whole chart (staff members,
# public figures) from everyone without break-the-glass.
patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mrn", String(32), nullable=False, unique=True),
    Column("family_name", Text, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("birth_date", Date, nullable=True),
    Column("sex", String(16), nullable=True),
    Column("restricted", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
