"""Typed audit events: one dataclass per action, recorded through `record`.

Every event names who acted (a principal: user id, user name, role, client: the
command line verb or the web client's address), what was acted on (document,
patient), the outcome and a detail mapping built from the event's own fields.
`EVENT_TYPES` lists them all; docs/audit-events (and a test) keep them documented.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

OK = "ok"
DENIED = "denied"
FAILED = "failed"
NOT_FOUND = "not_found"
OUTCOMES = (OK, DENIED, FAILED, NOT_FOUND)


class Actor(Protocol):
    """Who acted: `chartdesk.access.Principal` satisfies this."""

    @property
    def user_id(self) -> int | None: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def client(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """The common part of every event. Subclasses add typed fields, which go
    into `detail` together with the free-form `extra` mapping."""

    action: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    principal: Actor
    document_id: int | None = None
    patient_id: int | None = None
    outcome: str = OK
    break_glass: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")

    @property
    def actor(self) -> str:
        return self.principal.username

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def client(self) -> str:
        return self.principal.client

    @property
    def detail(self) -> dict[str, Any]:
        own = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name not in _BASE}
        return {**own, **{k: _plain(v) for k, v in self.extra.items()}}


_BASE = frozenset(f.name for f in dataclasses.fields(AuditEvent))


def _plain(value: Any) -> Any:
    """JSON-able form of a detail value."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


EVENT_TYPES: dict[str, type[AuditEvent]] = {}


def _event(cls: type[AuditEvent]) -> type[AuditEvent]:
    if not cls.action or cls.action in EVENT_TYPES:
        raise TypeError(f"event {cls.__name__} needs a unique action name")
    EVENT_TYPES[cls.action] = cls
    return cls


# ── logins ──────────────────────────────────────────────────────────────────


@_event
@dataclass(frozen=True, kw_only=True)
class Login(AuditEvent):
    action = "login"
    summary = "a user logged in (password or token)"
    method: str = "password"


@_event
@dataclass(frozen=True, kw_only=True)
class LoginFailed(AuditEvent):
    action = "login_failed"
    summary = "a login was refused: unknown user, wrong password, disabled or locked account"
    outcome: str = FAILED
    method: str = "password"
    reason: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class SessionEnded(AuditEvent):
    action = "session_ended"
    summary = "a web session ended (log out, idle or maximum time)"
    reason: str = "logout"


# ── reading patient data ────────────────────────────────────────────────────


@_event
@dataclass(frozen=True, kw_only=True)
class Search(AuditEvent):
    action = "search"
    summary = "a search, with its query, filters and how many results it returned"
    query: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)
    result_count: int = 0
    offset: int = 0


@_event
@dataclass(frozen=True, kw_only=True)
class DocumentViewed(AuditEvent):
    action = "document_viewed"
    summary = "a document (its details or text) was opened"


@_event
@dataclass(frozen=True, kw_only=True)
class PageViewed(AuditEvent):
    action = "page_viewed"
    summary = "one page image of a document was shown"
    page_no: int = 0


@_event
@dataclass(frozen=True, kw_only=True)
class Downloaded(AuditEvent):
    action = "downloaded"
    summary = "an original file or a PDF copy was downloaded"
    form: str = "original"


@_event
@dataclass(frozen=True, kw_only=True)
class Exported(AuditEvent):
    action = "exported"
    summary = "documents were exported in bulk"
    document_ids: tuple[int, ...] = ()
    destination: str = ""
    form: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class PatientViewed(AuditEvent):
    action = "patient_viewed"
    summary = "a patient's chart (demographics and document list) was shown"


@_event
@dataclass(frozen=True, kw_only=True)
class ReviewQueueViewed(AuditEvent):
    action = "review_queue_viewed"
    summary = "the review queue was listed"
    item_count: int = 0


# ── changes to records ──────────────────────────────────────────────────────


@_event
@dataclass(frozen=True, kw_only=True)
class ClassChanged(AuditEvent):
    action = "class_changed"
    summary = "a document's class was changed"
    old_class: str | None = None
    new_class: str | None = None


@_event
@dataclass(frozen=True, kw_only=True)
class ChartChanged(AuditEvent):
    action = "chart_changed"
    summary = "a document was attached to a chart or moved to another"
    old_patient_id: int | None = None
    new_patient_id: int | None = None
    reason: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class LabelChanged(AuditEvent):
    action = "label_changed"
    summary = "a sensitivity label was added to or removed from a document (by a rule or a person)"
    label: str = ""
    change: str = "added"  # added | removed
    source: str = "rule"  # rule | person
    rules: tuple[str, ...] = ()
    reason: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class ChartRestricted(AuditEvent):
    action = "chart_restricted"
    summary = "a whole chart was restricted or opened again"
    restricted: bool = True
    reason: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class PatientChanged(AuditEvent):
    action = "patient_changed"
    summary = "a patient's demographics were created, changed or merged"
    change: str = "updated"  # created | updated | merged
    fields: tuple[str, ...] = ()


@_event
@dataclass(frozen=True, kw_only=True)
class ReviewDecision(AuditEvent):
    action = "review_decision"
    summary = "a person decided a review-queue item (class, chart, rejection)"
    decision: str = ""
    item_id: int | None = None


@_event
@dataclass(frozen=True, kw_only=True)
class TranscriptConfirmed(AuditEvent):
    action = "transcript_confirmed"
    summary = "a clinician confirmed a dictation's transcript, as it was or corrected"
    corrected: bool = False
    version: int | None = None
    previous_version: int | None = None


@_event
@dataclass(frozen=True, kw_only=True)
class DocumentIngested(AuditEvent):
    action = "document_ingested"
    summary = "a new document was received from an inbox or an upload"
    source: str = ""


# ── access ──────────────────────────────────────────────────────────────────


@_event
@dataclass(frozen=True, kw_only=True)
class BreakGlass(AuditEvent):
    action = "break_glass"
    summary = "a user opened restricted records after giving a reason (flagged for compliance review)"
    break_glass: bool = True
    grant_id: int | None = None
    reason: str = ""
    minutes: int = 0


@_event
@dataclass(frozen=True, kw_only=True)
class BreakGlassReviewed(AuditEvent):
    action = "break_glass_reviewed"
    summary = "a compliance officer closed the review of a break-the-glass grant"
    break_glass: bool = True
    grant_id: int | None = None
    status: str = ""
    note: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class UserChanged(AuditEvent):
    action = "user_changed"
    summary = "a user account was added, disabled, enabled, or had its password or token changed"
    target: str = ""
    target_id: int | None = None
    change: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class RoleChanged(AuditEvent):
    action = "role_changed"
    summary = "a user's role was changed"
    target: str = ""
    target_id: int | None = None
    old_role: str = ""
    new_role: str = ""


# ── retention, disclosures, the audit log itself ───────────────────────────


@_event
@dataclass(frozen=True, kw_only=True)
class RetentionAct(AuditEvent):
    action = "retention_act"
    summary = "a retention act: schedule set, legal hold placed or released, document disposed of"
    act: str = ""
    reason: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class Disclosure(AuditEvent):
    action = "disclosure"
    summary = "a release of information outside the practice was entered in the register"
    disclosure_id: int | None = None
    recipient: str = ""
    purpose: str = ""


@_event
@dataclass(frozen=True, kw_only=True)
class DisclosuresReported(AuditEvent):
    action = "disclosures_reported"
    summary = "a patient's accounting of disclosures (or the register) was shown"
    years: int = 6
    count: int = 0


@_event
@dataclass(frozen=True, kw_only=True)
class AuditQueried(AuditEvent):
    action = "audit_queried"
    summary = "the audit log was queried, with the filters used"
    filters: Mapping[str, Any] = field(default_factory=dict)
    result_count: int = 0


@_event
@dataclass(frozen=True, kw_only=True)
class AuditVerified(AuditEvent):
    action = "audit_verified"
    summary = "the audit chain was verified, with the result"
    events_checked: int = 0
    first_bad: int | None = None
