"""The register of disclosures (releases of information outside the practice)
and the accounting of disclosures per patient (the last six years by default).

Callers check the permission first (`access.require(p, "disclose")`,
`"accounting"`); each entry and each report is an audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from chartdesk.audit.chain import record
from chartdesk.audit.events import Actor, Disclosure, DisclosuresReported
from chartdesk.db import disclosures, documents, patients, utcnow
from chartdesk.errors import NotFoundError, UsageError


@dataclass(frozen=True)
class DisclosureEntry:
    id: int
    patient_id: int
    disclosed_on: dt.date
    recipient: str
    recipient_address: str
    description: str
    document_ids: tuple[int, ...]
    purpose: str
    released_by: str
    recorded_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> DisclosureEntry:
        m = row._mapping
        return cls(m["id"], m["patient_id"], m["disclosed_on"], m["recipient"], m["recipient_address"],
                   m["description"], tuple(m["document_ids"] or ()), m["purpose"], m["released_by"],
                   m["recorded_at"])


def record_disclosure(
    conn: Connection, principal: Actor, *, patient_id: int, disclosed_on: dt.date, recipient: str,
    recipient_address: str, description: str, purpose: str, document_ids: Sequence[int] = (),
) -> DisclosureEntry:
    """Enter a release of information in the register (inside a write transaction)."""
    _check_entry(conn, patient_id, disclosed_on, document_ids,
                 recipient=recipient, recipient_address=recipient_address, description=description, purpose=purpose)
    entry_id = conn.execute(disclosures.insert().values(
        patient_id=patient_id, disclosed_on=disclosed_on, recipient=recipient.strip(),
        recipient_address=recipient_address.strip(), description=description.strip(),
        document_ids=sorted(set(document_ids)), purpose=purpose.strip(), released_by_id=principal.user_id,
        released_by=principal.username, recorded_at=utcnow(),
    )).inserted_primary_key[0]
    record(conn, Disclosure(principal=principal, patient_id=patient_id, disclosure_id=entry_id,
                            recipient=recipient.strip(), purpose=purpose.strip(),
                            extra={"documents": sorted(set(document_ids)), "disclosed_on": disclosed_on}))
    row = conn.execute(select(disclosures).where(disclosures.c.id == entry_id)).one()
    return DisclosureEntry.from_row(row)


def _check_entry(conn: Connection, patient_id: int, disclosed_on: dt.date, document_ids: Sequence[int],
                 **texts: str) -> None:
    empty = [name.replace("_", " ") for name, value in texts.items() if not value.strip()]
    if empty:
        raise UsageError(f"the disclosure needs a {empty[0]}", remedy="fill in every field of the release")
    if disclosed_on > dt.date.today():
        raise UsageError("the disclosure date is in the future", remedy="enter the date the records were released")
    if conn.execute(select(patients.c.id).where(patients.c.id == patient_id)).first() is None:
        raise NotFoundError(f"there is no patient {patient_id}", remedy="check the number")
    if document_ids:
        found = set(conn.execute(select(documents.c.id).where(
            documents.c.id.in_(list(document_ids)), documents.c.patient_id == patient_id)).scalars())
        missing = sorted(set(document_ids) - found)
        if missing:
            raise UsageError(f"document {missing[0]} is not in this patient's chart", remedy="check the numbers")


def accounting(
    conn: Connection, principal: Actor, patient_id: int, *, years: int = 6, today: dt.date | None = None,
) -> list[DisclosureEntry]:
    """The patient's disclosures over the last `years` years, oldest first
    (inside a write transaction: the report itself is audited)."""
    start = years_before(today or dt.date.today(), years)
    rows = conn.execute(
        select(disclosures).where(disclosures.c.patient_id == patient_id, disclosures.c.disclosed_on >= start)
        .order_by(disclosures.c.disclosed_on, disclosures.c.id)
    ).all()
    entries = [DisclosureEntry.from_row(r) for r in rows]
    record(conn, DisclosuresReported(principal=principal, patient_id=patient_id, years=years, count=len(entries)))
    return entries


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
