"""The audit room: typed events, one function that appends them to an
HMAC-SHA256 hash chain, verification, queries and the register of disclosures.

Use: `with app.db.write() as conn: audit.record(conn, audit.DocumentViewed(principal=p, document_id=7))`.
"""

from chartdesk.audit.chain import (
    GENESIS,
    VerifyReport,
    canonical,
    event_hash,
    record,
    reset_checkpoint,
    verify,
)
from chartdesk.audit.disclosures import DisclosureEntry, accounting, record_disclosure, years_before
from chartdesk.audit.errors import ChainBrokenError
from chartdesk.audit.events import (
    DENIED,
    EVENT_TYPES,
    FAILED,
    NOT_FOUND,
    OK,
    OUTCOMES,
    Actor,
    AuditEvent,
    AuditQueried,
    AuditVerified,
    BreakGlass,
    BreakGlassReviewed,
    ChartChanged,
    ChartRestricted,
    ClassChanged,
    Disclosure,
    DisclosuresReported,
    DocumentIngested,
    DocumentViewed,
    Downloaded,
    Exported,
    LabelChanged,
    Login,
    LoginFailed,
    PageViewed,
    PatientChanged,
    PatientViewed,
    RetentionAct,
    ReviewDecision,
    ReviewQueueViewed,
    RoleChanged,
    Search,
    SessionEnded,
    TranscriptConfirmed,
    UserChanged,
)
from chartdesk.audit.keys import AuditKey, checkpoint_path, key_path, load_key
from chartdesk.audit.query import (
    COLUMNS,
    FORMATS,
    AuditQuery,
    AuditRecord,
    parse_time,
    query_events,
    table_rows,
    write_csv,
    write_jsonl,
)
from chartdesk.audit.setup import ensure_ready, verify_log

__all__ = [
    "DENIED", "EVENT_TYPES", "FAILED", "GENESIS", "NOT_FOUND", "OK", "OUTCOMES",
    "Actor", "AuditEvent", "AuditKey", "AuditQueried", "AuditVerified", "BreakGlass", "BreakGlassReviewed",
    "ChartChanged", "ChartRestricted", "ClassChanged", "Disclosure", "DisclosuresReported", "DocumentIngested",
    "DocumentViewed", "Downloaded", "Exported", "LabelChanged", "Login", "LoginFailed", "PageViewed",
    "PatientChanged", "PatientViewed", "RetentionAct", "ReviewDecision", "ReviewQueueViewed", "RoleChanged",
    "Search", "SessionEnded", "TranscriptConfirmed", "UserChanged", "VerifyReport",
    "COLUMNS", "FORMATS", "AuditQuery", "AuditRecord", "ChainBrokenError", "DisclosureEntry",
    "accounting", "canonical", "checkpoint_path", "ensure_ready", "event_hash", "key_path", "load_key",
    "parse_time", "query_events", "record", "record_disclosure", "reset_checkpoint", "table_rows", "verify",
    "verify_log", "write_csv", "write_jsonl", "years_before",
]
