"""Every document's disposition is recomputed when its class, its patient, the
patient's facts (birth date, encounters), a review decision or the rules change."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from chartdesk import charts, retention
from chartdesk.app import open_app
from chartdesk.charts import EncounterInput, PatientInput
from chartdesk.db import patients, retention_schedule
from chartdesk.errors import UsageError
from chartdesk.retention.schedule import last_encounters
from tests.retention.conftest import OLD_DATE, Site, site_settings
from tests.retention.helpers import TODAY, actions

D = dt.date


def _row(site: Site, name: str) -> dict[str, object]:
    retention.refresh_schedule(site.app.db, site.settings)
    with site.app.db.read() as conn:
        row = conn.execute(select(retention_schedule).where(retention_schedule.c.document_id == site.docs[name])).one()
    return dict(row._mapping)


def test_every_document_has_a_disposition(site: Site) -> None:
    retention.refresh_schedule(site.app.db, site.settings)
    with site.app.db.read() as conn:
        rows = {r.document_id: r for r in conn.execute(select(retention_schedule))}
    expected = {n: site.docs[n] for n in ("marked", "lab", "card", "consent", "minor", "cover", "body")}
    assert set(rows) == set(expected.values())  # the split fax's own record is not scheduled: its parts are
    assert rows[site.docs["card"]].disposition_date == D(2008, 3, 1)  # administrative: 7 years from 2001-03-01
    assert rows[site.docs["cover"]].disposition_date == D(2002, 3, 1)  # transient: 1 year
    assert rows[site.docs["consent"]].action == "review"
    assert retention.refresh_schedule(site.app.db, site.settings) == 0  # nothing changed: nothing rewritten


def test_a_class_change_changes_the_rule(site: Site) -> None:
    assert (_row(site, "card")["rule"], _row(site, "card")["disposition_date"]) == ("administrative", D(2008, 3, 1))
    charts.assign(site.app.db, site.settings, site.docs["card"], principal=site.principal("rita"),
                  doc_class="progress_note", reason="it is a visit note")
    assert (_row(site, "card")["rule"], _row(site, "card")["disposition_date"]) == ("clinical", D(2011, 3, 1))


def test_a_new_encounter_and_a_move_to_another_chart_move_the_date(site: Site) -> None:
    with site.app.db.write() as conn:
        charts.upsert_encounter(conn, site.patients["A"], EncounterInput(start=D(2019, 4, 1), end=D(2019, 4, 3)),
                                source="csv")
    assert (_row(site, "lab")["basis"], _row(site, "lab")["disposition_date"]) == ("last_encounter", D(2029, 4, 3))
    assert _row(site, "minor")["disposition_date"] == D(2011, 3, 1)
    charts.move_document(site.app.db, site.docs["minor"], site.patients["A"], reason="filed in the wrong chart",
                         principal=site.principal("rita"))
    assert _row(site, "minor")["disposition_date"] == D(2029, 4, 3)
    plan = retention.plan_for(site.app, site.principal("carl"), today=TODAY)
    assert site.docs["lab"] not in {r.document_id for r in plan.rows}
    with site.app.db.read() as conn:
        assert last_encounters(conn, [site.patients["A"]]) == {site.patients["A"]: charts.last_encounter(
            conn, site.patients["A"])}


def test_a_childs_record_waits_for_majority(site: Site) -> None:
    """Given patient B's birth date corrected to 1995-06-01 (a child in 2001), the
    note is kept until B is 21 (2016-06-01), later than 10 years after 2001."""
    with site.app.db.read() as conn:
        b = conn.execute(select(patients).where(patients.c.id == site.patients["B"])).one()
    with site.app.db.write() as conn:
        charts.upsert_patient(conn, PatientInput(mrn=b.mrn, family_name=b.family_name, given_name=b.given_name,
                                                 birth_date=D(1995, 6, 1)), source="manual")
    row = _row(site, "minor")
    assert (row["basis"], row["basis_date"], row["disposition_date"]) == ("minor", D(2013, 6, 1), D(2016, 6, 1))
    assert D(2013, 6, 1) > OLD_DATE


def test_changed_rules_are_applied_to_every_document(site: Site) -> None:
    retention.refresh_schedule(site.app.db, site.settings)
    longer = site_settings(site.root).model_copy(deep=True)
    rules = dict(longer.retention.rules)
    rules["clinical"] = rules["clinical"].model_copy(update={"years": 30})
    longer = longer.model_copy(update={"retention": longer.retention.model_copy(update={"rules": rules})})
    app = open_app(longer)
    try:
        changed = retention.refresh_schedule(app.db, longer)
        assert changed == 4  # marked, lab, minor, body: the clinical ones
        plan = retention.compute_plan(app.db, longer, today=TODAY)
    finally:
        app.close()
    assert {r.document_id for r in plan.destroy} == {site.docs["card"], site.docs["cover"]}


def test_a_review_decides_destroy_or_keep(site: Site) -> None:
    rita = site.principal("rita")
    consent = site.docs["consent"]
    assert retention.explain(site.app, rita, consent, today=TODAY).state == "review_due"
    with pytest.raises(UsageError):
        retention.decide_review(site.app, rita, site.docs["lab"], decision="destroy", keep_until=None,
                                reason="not a review rule", today=TODAY)
    kept = retention.decide_review(site.app, rita, consent, decision="keep", keep_until=D(2031, 1, 1),
                                   reason="consent still in force", today=TODAY)
    assert kept.state == "retained" and kept.disposition is not None and kept.disposition.date == D(2031, 1, 1)
    assert consent not in {r.document_id for r in retention.plan_for(site.app, rita, today=TODAY).rows}
    gone = retention.decide_review(site.app, rita, consent, decision="destroy", keep_until=None,
                                   reason="treatment ended, superseded", today=TODAY)
    assert gone.state == "due"
    plan = retention.plan_for(site.app, rita, today=TODAY)
    assert consent in {r.document_id for r in plan.destroy}
    assert [e[3]["decision"] for e in actions(site.app, "review_decided")] == ["keep", "destroy"]


def test_explain_says_held_and_destroyed(site: Site) -> None:
    carl = site.principal("carl")
    retention.place_hold(site.app, carl, matter="claim 4", reason="letter from counsel", document_ids=(site.docs["lab"],))
    assert retention.explain(site.app, carl, site.docs["lab"], today=TODAY).state == "held"
    assert retention.explain(site.app, carl, site.docs["card"], today=TODAY).state == "due"
    assert retention.explain(site.app, carl, site.docs["card"], today=D(2005, 1, 1)).state == "retained"
