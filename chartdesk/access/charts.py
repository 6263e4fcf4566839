"""Restricting a whole chart (staff members', public figures' charts)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from chartdesk import audit
from chartdesk.access.changes import mark_access_change
from chartdesk.access.facts import PatientFacts, patient_facts
from chartdesk.access.policy import require
from chartdesk.access.principal import Principal
from chartdesk.db import documents, patients, utcnow
from chartdesk.errors import NotFoundError


def restrict_chart(conn: Connection, principal: Principal, patient_id: int, *, restricted: bool,
                   reason: str = "") -> PatientFacts:
    """Restrict (or open) a chart: its documents are hidden from every role
    without restricted_charts, except through break-the-glass. Audited; takes
    effect in search at once (the documents are excluded until reindexed)."""
    facts = patient_facts(conn, patient_id)
    if facts is None:
        raise NotFoundError(f"there is no patient {patient_id}", remedy="check the number")
    require(principal, "restrict_chart", facts)
    conn.execute(patients.update().where(patients.c.id == patient_id).values(
        restricted=int(restricted), updated_at=utcnow()))
    doc_ids = conn.execute(select(documents.c.id).where(documents.c.patient_id == patient_id)).scalars().all()
    mark_access_change(conn, doc_ids)
    audit.record(conn, audit.ChartRestricted(principal=principal, patient_id=patient_id, restricted=restricted,
                                             reason=reason, extra={"documents": len(doc_ids)}))
    return PatientFacts(patient_id, restricted)
