"""Reading the audit log: filters, and output as a table, CSV or JSON lines."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Connection, select

from chartdesk.audit.events import EVENT_TYPES, OUTCOMES
from chartdesk.db import audit_events
from chartdesk.errors import UsageError

FORMATS = ("table", "csv", "jsonl")
COLUMNS = ("seq", "at", "actor", "role", "action", "document_id", "patient_id", "outcome", "client",
           "break_glass", "detail")


@dataclass(frozen=True)
class AuditQuery:
    """Filters; every one given must match. Times are inclusive."""

    user: str | None = None
    patient_id: int | None = None
    document_id: int | None = None
    actions: tuple[str, ...] = ()
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    break_glass_only: bool = False
    limit: int | None = None

    def __post_init__(self) -> None:
        unknown = set(self.actions) - set(EVENT_TYPES)
        if unknown:
            raise UsageError(f"unknown action {sorted(unknown)[0]!r}", remedy="use one of: " + ", ".join(EVENT_TYPES))
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise UsageError(f"unknown outcome {self.outcome!r}", remedy="use one of: " + ", ".join(OUTCOMES))

    def as_detail(self) -> dict[str, Any]:
        """The filters used, for the AuditQueried event."""
        values = {"user": self.user, "patient_id": self.patient_id, "document_id": self.document_id,
                  "actions": list(self.actions) or None, "outcome": self.outcome,
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None,
                  "break_glass_only": self.break_glass_only or None, "limit": self.limit}
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    document_id: int | None
    patient_id: int | None
    outcome: str
    client: str
    break_glass: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {**{c: getattr(self, c) for c in COLUMNS}, "at": self.at.isoformat()}


def query_events(conn: Connection, query: AuditQuery) -> list[AuditRecord]:
    c = audit_events.c
    stmt = select(audit_events).order_by(c.seq)
    if query.user is not None:
        stmt = stmt.where(c.actor == query.user)
    if query.patient_id is not None:
        stmt = stmt.where(c.patient_id == query.patient_id)
    if query.document_id is not None:
        stmt = stmt.where(c.document_id == query.document_id)
    if query.actions:
        stmt = stmt.where(c.action.in_(query.actions))
    if query.outcome is not None:
        stmt = stmt.where(c.outcome == query.outcome)
    if query.since is not None:
        stmt = stmt.where(c.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(c.at <= query.until)
    if query.break_glass_only:
        stmt = stmt.where(c.break_glass == 1)
    if query.limit:
        stmt = stmt.limit(query.limit)
    return [_record(r) for r in conn.execute(stmt)]


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        seq=int(row.seq), at=row.at, actor=row.actor, role=row.role, action=row.action,
        document_id=row.document_id, patient_id=row.patient_id, outcome=row.outcome, client=row.client,
        break_glass=bool(row.break_glass), detail=json.loads(row.detail),
    )


def write_csv(records: Iterable[AuditRecord], out: IO[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in records:
        row = r.as_json()
        writer.writerow([json.dumps(row[c], sort_keys=True) if c == "detail" else _cell(row[c]) for c in COLUMNS])


def write_jsonl(records: Iterable[AuditRecord], out: IO[str]) -> None:
    for r in records:
        out.write(json.dumps(r.as_json(), sort_keys=True, ensure_ascii=False) + "\n")


def table_rows(records: Iterable[AuditRecord]) -> Iterator[tuple[str, ...]]:
    """Rows for a table: local time, and the detail as key=value pairs."""
    for r in records:
        detail = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(r.detail.items()))
        yield (str(r.seq), r.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), r.actor, r.role, r.action,
               _cell(r.document_id), _cell(r.patient_id), r.outcome + (" [BTG]" if r.break_glass else ""),
               r.client, detail)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def parse_time(text: str, *, end_of_day: bool = False) -> dt.datetime:
    """An ISO date or date-time; without a zone it is the office's local time."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date or time", remedy="write it as 2026-03-01 or 2026-03-01T14:30") from None
    if len(text) <= 10 and end_of_day:
        value = value.replace(hour=23, minute=59, second=59, microsecond=999999)
    return value.astimezone() if value.tzinfo is None else value
