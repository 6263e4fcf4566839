"""The register of disclosures and the six-year accounting per patient."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.db import audit_events
from chartdesk.errors import NotFoundError, UsageError
from tests.access.conftest import insert_document, insert_patient


def _disclose(conn: object, who: Principal, patient: int, day: dt.date, docs: tuple[int, ...] = ()) -> audit.DisclosureEntry:
    return audit.record_disclosure(conn, who, patient_id=patient, disclosed_on=day,  # type: ignore[arg-type]
                                   recipient="County Court", recipient_address="12 Court Sq, Springfield",
                                   description="visit notes 2019-2020", purpose="subpoena", document_ids=docs)


def test_accounting_covers_six_years_and_is_audited(app: App, add_user: Callable[..., Principal]) -> None:
    rick = add_user("rick", "records")
    today = dt.date(2026, 3, 1)
    with app.db.write() as conn:
        patient, other = insert_patient(conn, mrn="400"), insert_patient(conn, mrn="401")
        doc = insert_document(conn, patient_id=patient)
        old = _disclose(conn, rick, patient, dt.date(2020, 2, 29))  # more than six years before today
        edge = _disclose(conn, rick, patient, dt.date(2020, 3, 1))
        recent = _disclose(conn, rick, patient, dt.date(2025, 12, 24), (doc,))
        _disclose(conn, rick, other, dt.date(2025, 1, 1))
        report = audit.accounting(conn, rick, patient, years=6, today=today)
    assert [e.id for e in report] == [edge.id, recent.id] and old.id not in [e.id for e in report]
    assert report[-1].document_ids == (doc,) and report[-1].released_by == "rick"
    with app.db.read() as conn:
        actions = [(r.action, r.patient_id) for r in conn.execute(select(audit_events).order_by(audit_events.c.seq))]
    assert actions[-5:] == [("disclosure", patient)] * 3 + [("disclosure", other), ("disclosures_reported", patient)]
    assert audit.years_before(dt.date(2024, 2, 29), 6) == dt.date(2018, 2, 28)


def test_a_disclosure_needs_every_field_and_the_right_chart(app: App, add_user: Callable[..., Principal]) -> None:
    rick = add_user("rick", "records")
    with app.db.write() as conn:
        patient, other = insert_patient(conn, mrn="500"), insert_patient(conn, mrn="501")
        foreign = insert_document(conn, patient_id=other)
        with pytest.raises(UsageError, match="recipient"):
            audit.record_disclosure(conn, rick, patient_id=patient, disclosed_on=dt.date(2025, 1, 1), recipient=" ",
                                    recipient_address="a", description="d", purpose="p")
        with pytest.raises(UsageError, match="future"):
            _disclose(conn, rick, patient, dt.date.today() + dt.timedelta(days=1))
        with pytest.raises(UsageError, match="not in this patient"):
            _disclose(conn, rick, patient, dt.date(2025, 1, 1), (foreign,))
        with pytest.raises(NotFoundError):
            _disclose(conn, rick, 9999, dt.date(2025, 1, 1))
