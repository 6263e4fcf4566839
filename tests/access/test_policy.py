"""The policy on real data: roles and classes, labels, review status, restricted
charts, break-the-glass, hidden-as-missing, pending access changes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from chartdesk import access
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.db import access_grants, audit_events, documents
from chartdesk.errors import UsageError
from chartdesk.index import evaluate
from tests.access.conftest import insert_document, insert_patient

REASON = "patient unconscious in the emergency room"


@pytest.fixture
def staff(add_user: Callable[..., Principal]) -> dict[str, Principal]:
    return {role: add_user(role.replace("_", ""), role) for role in
            ("front_desk", "clinician", "billing", "records", "compliance", "admin")}


def _viewers(app: App, staff: dict[str, Principal], doc_id: int) -> set[str]:
    with app.db.read() as conn:
        facts = access.document_facts(conn, doc_id)
        assert facts is not None
        scopes = {role: access.search_scope(conn, p) for role, p in staff.items()}
    seen = {role for role, p in staff.items() if access.may(p, "view", facts)}
    found = {role for role in staff if evaluate(scopes[role], facts.filter_fields())}
    assert found <= seen  # search never shows what `may` refuses
    return seen


def _last_event(app: App) -> dict[str, object]:
    with app.db.read() as conn:
        row = conn.execute(select(audit_events).order_by(audit_events.c.seq.desc()).limit(1)).one()
    return {**row._mapping, "detail": json.loads(row.detail)}


def test_roles_see_their_classes(app: App, staff: dict[str, Principal]) -> None:
    with app.db.write() as conn:
        note = insert_document(conn, doc_class="progress_note")
        card = insert_document(conn, doc_class="insurance_card")
        eob = insert_document(conn, doc_class="explanation_of_benefits")
    assert _viewers(app, staff, note) == {"clinician", "records", "compliance"}
    assert _viewers(app, staff, card) == {"front_desk", "clinician", "billing", "records", "compliance"}
    assert _viewers(app, staff, eob) == {"clinician", "billing", "records", "compliance"}


def test_unfiled_documents_are_for_the_records_role_only(app: App, staff: dict[str, Principal]) -> None:
    with app.db.write() as conn:
        unclassified = insert_document(conn, doc_class=None, state="extracted", labelled=False)
        unlabelled = insert_document(conn, doc_class="insurance_card", state="classified", labelled=False)
        review = insert_document(conn, doc_class="insurance_card", state="needs_review")
    for doc in (unclassified, unlabelled, review):
        assert _viewers(app, staff, doc) == {"records"}


def test_labels_restrict_and_break_the_glass_opens(app: App, staff: dict[str, Principal]) -> None:
    with app.db.write() as conn:
        patient = insert_patient(conn, mrn="100")
        sud = insert_document(conn, doc_class="progress_note", labels=("substance_use_disorder",), patient_id=patient)
        bh = insert_document(conn, doc_class="progress_note", labels=("behavioral_health",), patient_id=patient)
    assert _viewers(app, staff, sud) == {"records"}
    assert _viewers(app, staff, bh) == {"clinician", "records"}
    clinician, billing = staff["clinician"], staff["billing"]
    with app.db.read() as conn:
        assert access.restricted_count(conn, clinician, patient) == 1
        assert access.restricted_count(conn, billing, patient) is None  # billing sees nothing of it
    s = app.settings.access.break_glass
    with app.db.write() as conn:
        with pytest.raises(UsageError, match="reason"):
            access.break_glass(conn, clinician, s, reason="need it", document_id=sud)
        with pytest.raises(access.NotPermittedError):
            access.break_glass(conn, billing, s, reason=REASON, document_id=sud)
        grant = access.break_glass(conn, clinician, s, reason=REASON, document_id=sud, minutes=30)
    event = _last_event(app)
    assert event["action"] == "break_glass" and event["break_glass"] == 1 and event["document_id"] == sud
    assert event["patient_id"] == patient and event["detail"]["reason"] == REASON
    assert _viewers(app, staff, sud) == {"clinician", "records"}
    with app.db.read() as conn:
        facts = access.document_facts(conn, sud)
        assert facts is not None and access.opened_by_grant(clinician, facts)
        assert access.restricted_count(conn, clinician, patient) == 0  # opened: no longer hidden
        assert [g.id for g in access.list_grants(conn)] == [grant.id]
    with app.db.write() as conn:  # the grant runs out
        conn.execute(access_grants.update().values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert _viewers(app, staff, sud) == {"records"}
    with app.db.write() as conn:
        with pytest.raises(access.NotPermittedError, match="own"):
            access.review_grant(conn, Principal(clinician.user_id, "c", "compliance", "t",
                                                staff["compliance"].rights), grant.id, status="accepted", note="ok")
        reviewed = access.review_grant(conn, staff["compliance"], grant.id, status="accepted", note="ED visit")
    assert reviewed.review_status == "accepted" and _last_event(app)["action"] == "break_glass_reviewed"


def test_restricted_chart_hides_every_document_at_once(app: App, staff: dict[str, Principal]) -> None:
    with app.db.write() as conn:
        patient = insert_patient(conn, mrn="200")
        docs = [insert_document(conn, doc_class=c, patient_id=patient) for c in ("progress_note", "insurance_card")]
    assert "clinician" in _viewers(app, staff, docs[0])
    with app.db.write() as conn:
        with pytest.raises(access.NotPermittedError):
            access.restrict_chart(conn, staff["clinician"], patient, restricted=True)
        access.restrict_chart(conn, staff["records"], patient, restricted=True, reason="staff member")
    assert _last_event(app)["action"] == "chart_restricted"
    assert _viewers(app, staff, docs[0]) == {"records"}
    assert _viewers(app, staff, docs[1]) == {"records"}
    with app.db.read() as conn:
        assert access.pending_documents(conn) == frozenset(docs)
        assert access.restricted_count(conn, staff["clinician"], patient) == 2
        assert access.restricted_count(conn, staff["compliance"], patient) == 2
    with app.db.write() as conn:  # chart-wide break-the-glass
        access.break_glass(conn, staff["clinician"], app.settings.access.break_glass, reason=REASON,
                           patient_id=patient)
    assert _viewers(app, staff, docs[0]) == {"clinician", "records"}


def test_hidden_and_missing_documents_answer_alike(app: App, staff: dict[str, Principal]) -> None:
    with app.db.write() as conn:
        hidden = insert_document(conn, doc_class="progress_note")
    with app.db.read() as conn, pytest.raises(access.DocumentNotFoundError) as seen_hidden:
        access.require_document(conn, staff["billing"], hidden)
    missing = hidden + 1000
    with app.db.read() as conn, pytest.raises(access.DocumentNotFoundError) as seen_missing:
        access.require_document(conn, staff["billing"], missing)
    assert str(seen_hidden.value).replace(str(hidden), "N") == str(seen_missing.value).replace(str(missing), "N")
    assert type(seen_hidden.value) is type(seen_missing.value)
    assert (seen_hidden.value.audit_outcome, seen_missing.value.audit_outcome) == ("denied", "not_found")
    with app.db.read() as conn:  # visible but not changeable: says so
        with pytest.raises(access.NotPermittedError):
            access.require_document(conn, staff["clinician"], hidden, "label")
        assert access.require_document(conn, staff["clinician"], hidden).doc_id == hidden


def test_label_by_hand_is_audited_pending_and_outlives_the_rules(app: App, staff: dict[str, Principal]) -> None:
    with app.db.write() as conn:
        doc = insert_document(conn, doc_class="lab_result", text="HIV-1 viral load undetectable")
    records, clinician = staff["records"], staff["clinician"]
    with app.db.write() as conn:
        assert access.apply_labels(conn, app.settings.access, doc) == ("hiv",)
        access.set_label(conn, records, app.settings.access, doc, "hiv", present=False, reason="lab error")
        access.set_label(conn, records, app.settings.access, doc, "genetic", present=True)
    event = _last_event(app)
    assert (event["action"], event["actor"], event["detail"]["label"], event["detail"]["source"]) == (
        "label_changed", "records", "genetic", "person")
    with app.db.read() as conn:
        assert doc in access.pending_documents(conn)
        assert not evaluate(access.search_scope(conn, clinician), {"doc_id": doc, "status": "filed",
                                                                  "doc_class": "lab_result", "chart": "open"})
    with app.db.write() as conn:
        assert access.apply_labels(conn, app.settings.access, doc) == ("genetic",)  # the rules re-run
        conn.execute(documents.update().where(documents.c.id == doc).values(
            indexed_version=documents.c.index_version))  # the indexer caught up
    with app.db.read() as conn:
        assert doc not in access.pending_documents(conn)
    with app.db.write() as conn:
        assert access.prune_access_changes(conn) == 1
        with pytest.raises(UsageError, match="no label"):
            access.set_label(conn, records, app.settings.access, doc, "secret", present=True)
        with pytest.raises(access.NotPermittedError):
            access.set_label(conn, clinician, app.settings.access, doc, "hiv", present=True)
