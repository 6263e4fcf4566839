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
    # Fax split (classify/): a child record points at its parent's one original
    # file (same sha256) by an inclusive 1-based page range of that file.
    Column("parent_id", Integer, ForeignKey("documents.id"), nullable=True, index=True),
    Column("page_start", Integer, nullable=True),
    Column("page_end", Integer, nullable=True),
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
    # charts/: contact details and the merge trail (a merged record keeps its row).
    Column("middle_name", Text, nullable=True),
    Column("phone", String(32), nullable=True),  # digits only, 10 for NANP numbers
    Column("address", Text, nullable=True),
    Column("merged_into", Integer, nullable=True),  # id of the surviving patient
    Column("source", String(16), nullable=False, default="manual"),  # csv | fhir | manual
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# ---- charts/ and classify/: names, identifiers, encounters, matching, review ----

# Every name a patient is known by: the official one, aliases, previous names.
# `family_key`/`given_key` are the matcher's normalised forms (accents folded,
# punctuation dropped), kept so that candidate look-up is an index scan.
patient_names = Table(
    "patient_names",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # official | alias | previous
    Column("family_name", Text, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("middle_name", Text, nullable=True),
    Column("family_key", String(64), nullable=False, index=True),
    Column("given_key", String(64), nullable=False),
)

# Identifiers other than the MRN column: insurance member ids, external ids
# (e.g. a FHIR logical id), extra MRNs from other systems. `norm` is the value
# upper-cased without spaces or dashes.
patient_identifiers = Table(
    "patient_identifiers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # member_id | mrn | external
    Column("system", String(128), nullable=False, default=""),
    Column("value", String(64), nullable=False),
    Column("norm", String(64), nullable=False),
    UniqueConstraint("patient_id", "kind", "system", "norm", name="uq_patient_identifier"),
)
Index("ix_patient_identifiers_norm", patient_identifiers.c.kind, patient_identifiers.c.norm)

encounters = Table(
    "encounters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False, index=True),
    Column("external_id", String(128), nullable=True, unique=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("kind", String(64), nullable=False, default=""),
    Column("status", String(32), nullable=False, default=""),
    Column("source", String(16), nullable=False, default="csv"),
)

# What the classifier decided, with its provenance and evidence (one row per document).
classifications = Table(
    "classifications",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("doc_class", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("ranking", JSON, nullable=False, default=list),  # [[class, probability], ...] top 3
    Column("evidence", JSON, nullable=False, default=list),  # the terms that weighed most
    Column("doc_date", Date, nullable=True),
    Column("doc_date_evidence", JSON, nullable=False, default=dict),  # label, page
    Column("classified_at", UTCDateTime(), nullable=False),
)

# Identifiers found in a document's text, with the role they play there
# (patient, subscriber, clinician, unknown). Replaced each time matching runs.
document_identifiers = Table(
    "document_identifiers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # name | dob | mrn | phone | member_id
    Column("role", String(16), nullable=False),
    Column("value", Text, nullable=False),
    Column("norm", Text, nullable=False),
    Column("page_no", Integer, nullable=True),
    Column("label", String(64), nullable=False, default=""),
)

# The matcher's best candidates per document with the evidence (which fields
# agreed and how much each weighed). Replaced each time matching runs.
match_candidates = Table(
    "match_candidates",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("rank", Integer, primary_key=True),  # 1 = best
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("weight", Float, nullable=False),  # log2 likelihood ratio
    Column("probability", Float, nullable=False),
    Column("agreements", JSON, nullable=False, default=dict),  # field -> {level, weight}
    Column("matched_at", UTCDateTime(), nullable=False),
)

# The review queue: one row per document a person must look at.
review_items = Table(
    "review_items",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("status", String(16), nullable=False, index=True),  # open | resolved | rejected
    Column("reasons", JSON, nullable=False, default=list),  # unassigned, ambiguous, ...
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
)

review_decisions = Table(
    "review_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # assign | reject | reclassify
    Column("patient_id", Integer, nullable=True),
    Column("doc_class", String(64), nullable=True),
    Column("previous_patient_id", Integer, nullable=True),
    Column("previous_class", String(64), nullable=True),
    Column("reason", Text, nullable=False, default=""),
)

# Class labels given by staff; `chartdesk classifier train` learns from them
# (with the document's current text, so a destroyed document teaches nothing).
class_corrections = Table(
    "class_corrections",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("doc_class", String(64), nullable=False),
    Column("predicted_class", String(64), nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(64), nullable=False),
)

chart_moves = Table(
    "chart_moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("from_patient_id", Integer, nullable=True),
    Column("to_patient_id", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("merge_id", Integer, nullable=True),
)

patient_merges = Table(
    "patient_merges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("merged_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("into_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("documents_moved", Integer, nullable=False, default=0),
)
