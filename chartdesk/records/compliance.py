"""What the compliance pages read and do: audit queries (and their CSV), the
accounting of disclosures, break-the-glass reviews and the chain check. Each
asks the policy for its permission first and is itself an audit event."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from chartdesk import access, audit
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.errors import UsageError

DEFAULT_DAYS = 7
MAX_ROWS = 2000


@dataclass(frozen=True)
class AuditForm:
    user: str = ""
    patient: str = ""
    document: str = ""
    action: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""
    break_glass: bool = False
    limit: int = 500

    def query(self) -> audit.AuditQuery:
        return audit.AuditQuery(
            user=self.user.strip() or None,
            patient_id=number(self.patient, "patient"),
            document_id=number(self.document, "document"),
            actions=(self.action,) if self.action else (),
            outcome=self.outcome or None,
            since=audit.parse_time(self.since) if self.since else None,
            until=audit.parse_time(self.until, end_of_day=True) if self.until else None,
            break_glass_only=self.break_glass,
            limit=max(1, min(self.limit, MAX_ROWS)),
        )

    @classmethod
    def default(cls) -> AuditForm:
        return cls(since=(dt.date.today() - dt.timedelta(days=DEFAULT_DAYS)).isoformat())


def number(text: str, what: str) -> int | None:
    text = text.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise UsageError(f"the {what} filter takes a number", remedy=f"type the {what} number, e.g. 42")
    return int(text)


def query(app: App, principal: Principal, form: AuditForm, *, export: str = "") -> list[audit.AuditRecord]:
    access.require(principal, "audit_read")
    q = form.query()
    with app.db.read() as conn:
        records = audit.query_events(conn, q)
    with app.db.write() as conn:
        audit.record(conn, audit.AuditQueried(principal=principal, filters=q.as_detail(), result_count=len(records),
                                              patient_id=q.patient_id, document_id=q.document_id,
                                              extra={"export": export} if export else {}))
    return records


def as_csv(records: list[audit.AuditRecord]) -> str:
    out = io.StringIO()
    audit.write_csv(records, out)
    return out.getvalue()


def disclosures(app: App, principal: Principal, patient_id: int) -> list[audit.DisclosureEntry]:
    access.require(principal, "accounting")
    with app.db.write() as conn:
        return audit.accounting(conn, principal, patient_id, years=app.settings.access.disclosure_years)


def grants(app: App, principal: Principal, *, pending_only: bool) -> list[access.Grant]:
    access.require(principal, "review_break_glass")
    with app.db.write() as conn:
        rows = access.list_grants(conn, pending_only=pending_only)
        audit.record(conn, audit.AuditQueried(principal=principal, result_count=len(rows),
                                              filters={"grants": "pending" if pending_only else "all"}))
    return rows


def review_grant(app: App, principal: Principal, grant_id: int, *, status: str, note: str) -> None:
    with app.db.write() as conn:
        access.review_grant(conn, principal, grant_id, status=status, note=note)


def verify(app: App, principal: Principal) -> audit.VerifyReport:
    access.require(principal, "audit_verify")
    with app.db.read() as conn:
        report = audit.verify_log(app.settings, conn)
    with app.db.write() as conn:
        audit.record(conn, audit.AuditVerified(principal=principal, outcome="ok" if report.ok else "failed",
                                               events_checked=report.events_checked, first_bad=report.first_bad))
    return report
