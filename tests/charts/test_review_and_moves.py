"""The review queue's decisions, moves between charts, merges, and matching again
when the patient index changes. Every change is audited in its own transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import charts, classify
from chartdesk.app import App
from chartdesk.classify import ClassifyStage, MatchStage
from chartdesk.db import audit_events, chart_moves, class_corrections, review_decisions
from chartdesk.errors import UsageError
from tests.classify.helpers import CLERK, add_document, add_patient, doc_row, run_stage, write_lines

D = dt.date
NOTE = """Valley Family Medicine
PROGRESS NOTE
Patient: ROE, RICHARD   DOB: 07/08/1970
Date of Service: 02/03/2024
S: Returns for recheck of essential hypertension. Reports fatigue.
O: BP 150/90, HR 80.
A: Essential hypertension (I10)
P: Continue Lisinopril 10 mg daily. Follow up in 3 months."""


def _process(app: App, doc: int) -> None:
    run_stage(app, ClassifyStage(), doc, next_stage="match")
    run_stage(app, MatchStage(), doc, next_stage="index")


def _actions(app: App) -> list[str]:
    with app.db.read() as conn:
        return [r.action for r in conn.execute(select(audit_events.c.action).order_by(audit_events.c.seq))]


def test_new_patient_import_rematches_the_waiting_document(cls_app: App, tmp_path: Path) -> None:
    doc = add_document(cls_app, [NOTE])
    _process(cls_app, doc)
    assert doc_row(cls_app, doc).state == "needs_review"
    report = charts.import_file(cls_app.db, cls_app.settings, write_lines(tmp_path / "p.csv", [
        "mrn,family_name,given_name,birth_date", "8123,Roe,Richard,1970-07-08"]), CLERK)
    assert report.requeued_documents == 1
    row = doc_row(cls_app, doc)
    assert (row.stage, row.state) == ("match", "needs_review")
    run_stage(cls_app, MatchStage(), doc, next_stage="index")
    row = doc_row(cls_app, doc)
    assert row.state == "matched" and row.patient_id is not None
    with cls_app.db.read() as conn:
        assert charts.list_queue(conn) == []


def test_assign_from_the_queue_is_stored_audited_and_teaches_the_classifier(cls_app: App) -> None:
    richard = add_patient(cls_app, "8123", "Roe", "Richard", None)
    doc = add_document(cls_app, [NOTE])
    _process(cls_app, doc)
    with cls_app.db.read() as conn:
        [item] = charts.list_queue(conn)
        view = charts.show(conn, doc)
    assert item.document_id == doc and "too_few_identifiers" in item.reasons
    assert view.candidates and view.candidates[0]["patient_id"] == richard and "name" in view.candidates[0]["evidence"]
    with pytest.raises(UsageError):
        charts.assign(cls_app.db, cls_app.settings, doc, principal=CLERK)
    decision = charts.assign(cls_app.db, cls_app.settings, doc, principal=CLERK, patient_id=richard, doc_class="progress_note", reason="DOB missing on scan")
    row = doc_row(cls_app, doc)
    assert (row.patient_id, row.doc_class, row.state, row.stage) == (richard, "progress_note", "matched", "index")
    assert row.index_version >= 2
    with cls_app.db.read() as conn:
        stored = conn.execute(select(review_decisions).where(review_decisions.c.id == decision.decision_id)).one()
        correction = conn.execute(select(class_corrections).where(class_corrections.c.document_id == doc)).one()
        assert charts.list_queue(conn) == []
    assert (stored.action, stored.actor, stored.patient_id) == ("assign", "records1", richard)
    assert correction.doc_class == "progress_note"
    assert {"chart_changed", "review_decision"} <= set(_actions(cls_app))
    run_stage(cls_app, MatchStage(), doc, next_stage="index")  # a re-run keeps the person's decision
    assert doc_row(cls_app, doc).patient_id == richard


def test_reject_takes_the_document_out(cls_app: App) -> None:
    doc = add_document(cls_app, ["blank page"])
    _process(cls_app, doc)
    with pytest.raises(UsageError):
        charts.reject(cls_app.db, doc, principal=CLERK, reason=" ")
    charts.reject(cls_app.db, doc, principal=CLERK, reason="blank page from the scanner")
    row = doc_row(cls_app, doc)
    assert (row.state, row.reason_code) == ("rejected", "review_rejected")
    assert "review_decision" in _actions(cls_app)


def test_move_carries_the_document_and_is_audited(cls_app: App) -> None:
    a = add_patient(cls_app, "8123", "Roe", "Richard", D(1970, 7, 8))
    b = add_patient(cls_app, "8124", "Roe", "Rita", D(1972, 1, 1))
    doc = add_document(cls_app, [NOTE])
    _process(cls_app, doc)
    before = doc_row(cls_app, doc)
    assert before.patient_id == a
    with pytest.raises(UsageError):
        charts.move_document(cls_app.db, doc, b, reason="", principal=CLERK)
    assert charts.move_document(cls_app.db, doc, b, reason="wrong chart: the note is Rita's", principal=CLERK) == a
    after = doc_row(cls_app, doc)
    assert after.patient_id == b and after.index_version == before.index_version + 1
    assert (after.doc_class, after.doc_date) == (before.doc_class, before.doc_date)
    with cls_app.db.read() as conn:
        move = conn.execute(select(chart_moves).where(chart_moves.c.document_id == doc)).one()
        assert [e.document_id for e in charts.chart(conn, b).groups["progress_note"]] == [doc]
        assert charts.chart(conn, a).count == 0
    assert (move.from_patient_id, move.to_patient_id, move.actor) == (a, b, "records1")
    assert _actions(cls_app).count("chart_changed") == 1


def test_merge_moves_the_chart_and_keeps_the_names(cls_app: App) -> None:
    keep = add_patient(cls_app, "8123", "Roe", "Richard", D(1970, 7, 8))
    dup = add_patient(cls_app, "9555", "Roe-Smith", "Rick", D(1970, 7, 8), members=["ZZ998877"])
    doc = add_document(cls_app, [NOTE])
    _process(cls_app, doc)  # two records could be meant: review
    assert doc_row(cls_app, doc).state == "needs_review"
    from chartdesk.charts import set_chart
    other = add_document(cls_app, [NOTE.replace("02/03/2024", "03/03/2024")])
    with cls_app.db.write() as conn:
        set_chart(conn, other, dup, reason="filed by hand", principal=CLERK)
    result = charts.merge_patients(cls_app.db, dup, keep, reason="duplicate registration", principal=CLERK)
    assert result.documents_moved == 1
    assert doc_row(cls_app, other).patient_id == keep
    with cls_app.db.read() as conn:
        kept = charts.get_patient(conn, keep)
        assert charts.resolve_patient(conn, "9555") == keep
        idx = classify.PatientIndex.load(conn)
    assert ("alias", "Roe-Smith") in {(n["kind"], n["family"]) for n in kept.names}
    assert {"kind": "member_id", "system": "", "value": "ZZ998877"} in kept.identifiers
    assert dup not in idx.records and "ZZ998877" in idx.records[keep].member_ids
    assert doc_row(cls_app, doc).stage == "match"  # its candidates named the merged record: matched again
    run_stage(cls_app, MatchStage(), doc, next_stage="index")
    assert doc_row(cls_app, doc).patient_id == keep
    assert "patient_changed" in _actions(cls_app)


def test_retraining_learns_a_class_the_office_added(cls_app: App, tmp_path: Path) -> None:
    """Given an office class 'work_note' and three staff corrections, when the classifier is
    trained again, then it knows the class and reports its held-out accuracy."""
    from chartdesk.config import DEFAULT_CLASSES
    from tests.conftest import make_settings

    classes = {name: {"retention": r} for name, r in DEFAULT_CLASSES.items()} | {"work_note": {"retention": "administrative"}}
    settings = make_settings(tmp_path, classify={"model_file": str(tmp_path / "m.pkl"), "seed_per_class": 30}, classes=classes)
    assert "work_note" in settings.classes
    texts = [f"RETURN TO WORK NOTE\nPatient may return to work on {d}/1/2024 without restrictions. Light duty for {d} days." for d in range(1, 6)]
    ids = [add_document(cls_app, [t]) for t in texts]
    for doc in ids:
        charts.assign(cls_app.db, settings, doc, principal=CLERK, no_patient=True, doc_class="work_note")
    report = classify.retrain(settings, cls_app.db.read)
    assert report.corrections_used == {"work_note": 5}
    model, _ = classify.load(tmp_path / "m.pkl")
    assert "work_note" in model.classes
    assert model.predict("WORK NOTE: the patient may return to work on Monday, light duty for 3 days").doc_class == "work_note"
