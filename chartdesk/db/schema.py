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
    DDL,
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
    event,
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
    Column("method", String(16), nullable=False),  # text_layer | ocr | empty | speech
    Column("engine", String(64), nullable=False, default=""),
    Column("dpi", Integer, nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("image", Text, nullable=True),  # path of the view image, relative to derived_dir
    Column("tables", JSON, nullable=True),  # table structure read from the text layer
    Column("info", JSON, nullable=False, default=dict),  # provenance: options, warnings, timings
)

# Dictation (owned by transcription/). The machine transcript of an audio
# document as segments with times and the model's confidence, kept as spoken
# (page 1 of `pages` holds the normalised full text that is indexed).
# Rewritten whole each time the transcribe stage commits for the document.
transcript_segments = Table(
    "transcript_segments",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),  # 0-based, in time order
    Column("start", Float, nullable=False),  # seconds from the start of the recording
    Column("end", Float, nullable=False),
    Column("text", Text, nullable=False),
    Column("avg_logprob", Float, nullable=False),  # mean token log-probability (0 is certain)
    Column("no_speech_prob", Float, nullable=False),  # model's probability the window held no speech
    Column("low_confidence", Integer, nullable=False, default=0),  # 1: a reviewer should listen
)

# Every transcript is an unverified draft until a clinician confirms it. Each
# row is one version of a document's transcript: version 1.. in order; kind is
# "machine" (the transcribe stage) or "edit" (a person's corrected text);
# status is "draft" or "verified". The newest version is the current one.
transcripts = Table(
    "transcripts",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # machine | edit
    Column("status", String(16), nullable=False),  # draft | verified
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("author", String(64), nullable=True),  # user name for edits; NULL for the machine
    Column("verified_by", String(64), nullable=True),
    Column("verified_at", UTCDateTime(), nullable=True),
    Column("info", JSON, nullable=False, default=dict),  # provenance: engine, model, options
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

# ---- access/ and audit/: users, grants, labels, the audit chain, disclosures ----

# Local accounts. `password_hash` is an argon2id PHC string (parameters inside).
# A wrong password counts in `failed_logins`; reaching the limit sets `locked_until`.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False, default=""),
    Column("role", String(32), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Integer, nullable=False, default=0),
    Column("must_change_password", Integer, nullable=False, default=0),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("last_login_at", UTCDateTime(), nullable=True),
    Column("password_changed_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Tokens for scripts (`chartdesk users token`): only a SHA-256 of the secret is kept.
user_tokens = Table(
    "user_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# Break-the-glass grants: one user, one document or a whole chart, until
# `expires_at`; each waits for a compliance officer's review.
access_grants = Table(
    "access_grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("document_id", Integer, nullable=True),
    Column("patient_id", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("granted_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("review_status", String(16), nullable=False, default="pending"),  # pending | accepted | concern
    Column("reviewed_by", Integer, nullable=True),
    Column("reviewed_at", UTCDateTime(), nullable=True),
    Column("review_note", Text, nullable=True),
)
Index("ix_access_grants_user", access_grants.c.user_id, access_grants.c.expires_at)

# A person's decision on one label of one document ("add" or "remove"); the
# label stage applies these over its rules, so a re-run keeps them.
label_overrides = Table(
    "label_overrides",
    metadata,
    Column("document_id", Integer, primary_key=True),
    Column("label", String(32), primary_key=True),
    Column("mode", String(8), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("at", UTCDateTime(), nullable=False),
)

# Documents whose access attributes changed: until the index holds `version`
# (documents.indexed_version >= version) search excludes them for all but records.
access_changes = Table(
    "access_changes",
    metadata,
    Column("document_id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

# The audit log: an HMAC-SHA256 chain (chartdesk/audit/chain.py). Append-only:
# the triggers below refuse UPDATE and DELETE; nothing deletes events, not even
# the disposal of the documents they name (hence no foreign keys).
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(64), nullable=False, index=True),
    Column("actor_id", Integer, nullable=True),
    Column("role", String(32), nullable=False),
    Column("action", String(40), nullable=False, index=True),
    Column("document_id", Integer, nullable=True, index=True),
    Column("patient_id", Integer, nullable=True, index=True),
    Column("outcome", String(16), nullable=False),
    Column("client", String(200), nullable=False),
    Column("break_glass", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False),  # canonical JSON, hashed as stored
    Column("key_id", String(16), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# The chain's head, one row: writers lock it (FOR UPDATE on PostgreSQL; the
# write transaction's lock on SQLite) so concurrent writers make one chain.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# The register of disclosures: releases of information outside the practice.
disclosures = Table(
    "disclosures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, nullable=False),
    Column("disclosed_on", Date, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("recipient_address", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("document_ids", JSON, nullable=False, default=list),
    Column("purpose", Text, nullable=False),
    Column("released_by_id", Integer, nullable=True),
    Column("released_by", String(64), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)
Index("ix_disclosures_patient", disclosures.c.patient_id, disclosures.c.disclosed_on)

# ---- retention/: schedules, legal holds, disposition and its records ----

# Each document's computed disposition (rebuilt by retention.refresh_schedule when
# its class, patient, dates, review decision or the rules change: `inputs` is a
# hash of everything the date was computed from). disposition_date NULL: kept
# permanently or not decidable yet (no class); `basis` says which.
retention_schedule = Table(
    "retention_schedule",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True),
    Column("rule", String(32), nullable=True),  # the retention class; NULL: no class yet
    Column("basis", String(32), nullable=False),  # what the period counts from (retention.rules.Basis)
    Column("basis_date", Date, nullable=True),
    Column("disposition_date", Date, nullable=True, index=True),
    Column("action", String(16), nullable=False),  # destroy | review | keep | undecided
    Column("inputs", String(64), nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
)

# A person's decision on a document whose rule ends in review: destroy it, or
# keep it until a later day (then it is reviewed again). The newest one counts.
retention_reviews = Table(
    "retention_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False, index=True),
    Column("decision", String(16), nullable=False),  # destroy | keep
    Column("keep_until", Date, nullable=True),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("at", UTCDateTime(), nullable=False),
)

# Legal holds: on a patient (every document of the chart, now and later), on
# named documents (legal_hold_documents), or on a saved search (`query` in the
# search grammar, evaluated against the database). Released holds keep their row.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),  # patient | documents | search
    Column("patient_id", Integer, nullable=True, index=True),
    Column("query", Text, nullable=True),
    Column("matter", Text, nullable=False),  # the case or request the hold is for
    Column("reason", Text, nullable=False),
    Column("placed_by", String(64), nullable=False),
    Column("placed_by_id", Integer, nullable=True),
    Column("placed_at", UTCDateTime(), nullable=False),
    Column("released_by", String(64), nullable=True),
    Column("released_by_id", Integer, nullable=True),
    Column("released_at", UTCDateTime(), nullable=True),
    Column("release_reason", Text, nullable=True),
)

legal_hold_documents = Table(
    "legal_hold_documents",
    metadata,
    Column("hold_id", Integer, ForeignKey("legal_holds.id"), primary_key=True),
    Column("document_id", Integer, primary_key=True, index=True),
)

# Approvals of a disposition plan, by its fingerprint (a hash of the sorted rows
# of document id, action, rule and disposition date).
retention_approvals = Table(
    "retention_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, index=True),
    Column("as_of", Date, nullable=False),
    Column("approver", String(64), nullable=False),
    Column("approver_id", Integer, nullable=True),
    Column("approved_at", UTCDateTime(), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("totals", JSON, nullable=False, default=dict),
)

# One disposition run (`chartdesk retention apply --execute`) and its items. A
# run moves through phases (records, index, files, finish, done); an interrupted
# run is resumed from where it stopped by the next apply.
retention_runs = Table(
    "retention_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False),
    Column("approval_id", Integer, ForeignKey("retention_approvals.id"), nullable=False),
    Column("approved_by", String(64), nullable=False),
    Column("applied_by", String(64), nullable=False),
    Column("applied_by_id", Integer, nullable=True),
    Column("as_of", Date, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("phase", String(16), nullable=False),
    Column("retrain", Integer, nullable=False, default=0),  # 1: the classifier learnt from a destroyed document
    Column("summary", JSON, nullable=False, default=dict),
)

retention_run_items = Table(
    "retention_run_items",
    metadata,
    Column("run_id", Integer, ForeignKey("retention_runs.id"), primary_key=True),
    Column("document_id", Integer, primary_key=True),
    Column("role", String(16), nullable=False),  # planned | container (a split fax whose parts are all gone)
    Column("rule", String(32), nullable=True),
    Column("disposition_date", Date, nullable=True),
    Column("status", String(16), nullable=False),  # pending | destroyed | held | skipped
    Column("note", Text, nullable=False, default=""),
    Column("files", JSON, nullable=False, default=list),  # paths to remove once the records are gone
    Column("blob", String(64), nullable=True),  # the original to remove (no other document uses it)
    Column("done_at", UTCDateTime(), nullable=True),
)

# The minimal record kept of a destroyed document (no text, no file names).
retention_tombstones = Table(
    "retention_tombstones",
    metadata,
    Column("document_id", Integer, primary_key=True),
    Column("doc_class", String(64), nullable=True),
    Column("patient_id", Integer, nullable=True, index=True),
    Column("doc_date", Date, nullable=True),
    Column("received_on", Date, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("rule", String(32), nullable=True),
    Column("disposition_date", Date, nullable=True),
    Column("approved_by", String(64), nullable=False),
    Column("applied_by", String(64), nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("destroyed_at", UTCDateTime(), nullable=False),
)

_GENESIS = "0" * 64
_APPEND_ONLY = "audit events are append-only"
_HEAD_FORWARD = "the audit head only moves forward"
# Both dialects' guards, side by side; each runs only on its own database.
_EVENT_GUARDS = {
    "sqlite": (
        f"CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        f"CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION chartdesk_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation'; END $$",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION chartdesk_audit_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION chartdesk_audit_append_only()",
    ),
}
_HEAD_GUARDS = {
    "sqlite": (
        f"CREATE TRIGGER IF NOT EXISTS audit_head_forward BEFORE UPDATE ON audit_head "
        f"WHEN NEW.seq < OLD.seq OR NEW.id != OLD.id BEGIN SELECT RAISE(ABORT, '{_HEAD_FORWARD}'); END",
        f"CREATE TRIGGER IF NOT EXISTS audit_head_no_delete BEFORE DELETE ON audit_head "
        f"BEGIN SELECT RAISE(ABORT, '{_HEAD_FORWARD}'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION chartdesk_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_OP <> 'UPDATE' OR NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN "
        f"RAISE EXCEPTION '{_HEAD_FORWARD}' USING ERRCODE = 'integrity_constraint_violation'; "
        "END IF; RETURN NEW; END $$",
        "CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION chartdesk_audit_head_forward()",
        "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION chartdesk_audit_head_forward()",
    ),
}
event.listen(
    audit_head, "after_create", DDL(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{_GENESIS}')")
)
for _table, _guards in ((audit_events, _EVENT_GUARDS), (audit_head, _HEAD_GUARDS)):
    for _dialect, _statements in _guards.items():
        for _sql in _statements:
            event.listen(_table, "after_create", DDL(_sql).execute_if(dialect=_dialect))
