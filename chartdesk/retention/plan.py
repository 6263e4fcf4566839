"""The disposition plan: what would be destroyed or reviewed today, and its fingerprint.

A plan lists every document whose disposition date has come, whose rule ends
in destroy or review, and that no active legal hold covers. Its fingerprint is
the SHA-256 of the sorted rows (document id, action, rule, disposition date):
an approval names a fingerprint, so a plan that changed since it was approved
(a document fell due, a hold was placed or released, a class changed) must be
approved again. Held documents are listed beside the plan, not in it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Connection, select

from chartdesk.config import Settings
from chartdesk.db import Database, documents, retention_schedule
from chartdesk.retention.holds import holds_covering
from chartdesk.retention.rules import Action
from chartdesk.retention.schedule import NOT_SCHEDULED, refresh_schedule

MIN_FINGERPRINT_CHARS = 12
SHORT = 16
CSV_COLUMNS = ("document_id", "action", "rule", "disposition_date", "doc_class", "patient_id", "basis", "basis_date",
               "held_by")


@dataclass(frozen=True, slots=True)
class PlanRow:
    document_id: int
    action: str  # destroy | review
    rule: str
    disposition_date: dt.date
    doc_class: str | None
    patient_id: int | None
    basis: str
    basis_date: dt.date | None
    held_by: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.document_id}|{self.action}|{self.rule}|{self.disposition_date.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "action": self.action, "rule": self.rule,
                "disposition_date": self.disposition_date.isoformat(), "doc_class": self.doc_class,
                "patient_id": self.patient_id, "basis": self.basis,
                "basis_date": self.basis_date.isoformat() if self.basis_date else None,
                "held_by": list(self.held_by)}


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    rows: tuple[PlanRow, ...]  # due and not held, in document order
    held: tuple[PlanRow, ...]  # due but under a legal hold: kept
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint", fingerprint_of(self.rows))

    @property
    def short(self) -> str:
        return self.fingerprint[:SHORT]

    @property
    def destroy(self) -> tuple[PlanRow, ...]:
        return tuple(r for r in self.rows if r.action == Action.destroy)

    @property
    def review(self) -> tuple[PlanRow, ...]:
        return tuple(r for r in self.rows if r.action == Action.review)

    def totals(self) -> dict[str, dict[str, int]]:
        """Counts by document class: destroy, review, held."""
        out: dict[str, dict[str, int]] = {}
        for kind, rows in (("destroy", self.destroy), ("review", self.review), ("held", self.held)):
            for r in rows:
                counts = out.setdefault(r.doc_class or "(none)", {"destroy": 0, "review": 0, "held": 0})
                counts[kind] += 1
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, int]:
        return {"destroy": len(self.destroy), "review": len(self.review), "held": len(self.held)}

    def matches(self, typed: str) -> bool:
        """True when `typed` is this plan's fingerprint or an unambiguous start of it."""
        typed = typed.strip().lower()
        return len(typed) >= MIN_FINGERPRINT_CHARS and self.fingerprint.startswith(typed)

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "fingerprint": self.fingerprint, "totals": self.totals(),
                "summary": self.summary(), "rows": [r.as_dict() for r in self.rows],
                "held": [r.as_dict() for r in self.held]}


def fingerprint_of(rows: Iterable[PlanRow]) -> str:
    keys = sorted((r.document_id, r.key) for r in rows)
    return hashlib.sha256("\n".join(k for _, k in keys).encode()).hexdigest()


def compute_plan(db: Database, settings: Settings, *, today: dt.date, refresh: bool = True) -> Plan:
    """Refresh the schedule (unless the caller just did), then list what is due on
    `today` and what holds keep."""
    if refresh:
        refresh_schedule(db, settings)
    with db.read() as conn:
        return plan_from(conn, settings, today=today)


def plan_from(conn: Connection, settings: Settings, *, today: dt.date) -> Plan:
    due = due_rows(conn, today=today)
    held = holds_covering(conn, settings, [r.document_id for r in due])
    rows = tuple(r for r in due if r.document_id not in held)
    kept = tuple(_with_holds(r, held[r.document_id]) for r in due if r.document_id in held)
    return Plan(as_of=today, rows=rows, held=kept)


def due_rows(conn: Connection, *, today: dt.date, until: dt.date | None = None) -> list[PlanRow]:
    """Documents whose disposition date is on or before `until` (default `today`) and
    whose action is destroy or review."""
    s = retention_schedule
    q = (select(s.c.document_id, s.c.action, s.c.rule, s.c.disposition_date, s.c.basis, s.c.basis_date,
                documents.c.doc_class, documents.c.patient_id)
         .join(documents, documents.c.id == s.c.document_id)
         .where(s.c.disposition_date <= (until or today), s.c.action.in_((Action.destroy, Action.review)),
                documents.c.state.not_in(NOT_SCHEDULED))
         .order_by(s.c.document_id))
    return [PlanRow(r.document_id, r.action, r.rule, r.disposition_date, r.doc_class, r.patient_id, r.basis,
                    r.basis_date) for r in conn.execute(q)]


def _with_holds(row: PlanRow, hold_ids: list[int]) -> PlanRow:
    return PlanRow(row.document_id, row.action, row.rule, row.disposition_date, row.doc_class, row.patient_id,
                   row.basis, row.basis_date, tuple(sorted(hold_ids)))


def write_csv(plan: Plan, out: IO[str]) -> None:
    """Every row of the plan, then the held documents (held_by names their holds)."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in (*plan.rows, *plan.held):
        values = row.as_dict()
        values["held_by"] = " ".join(str(h) for h in row.held_by)
        writer.writerow(values)
