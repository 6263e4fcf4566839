"""Label rules and the label stage on real rows."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sqlalchemy import select

from chartdesk import access
from chartdesk.access import LabelInput, rule_labels
from chartdesk.app import App
from chartdesk.config import AccessSettings, LabelRule
from chartdesk.db import audit_events, documents
from chartdesk.stages import Doc, StageContext
from tests.access.conftest import access_settings, insert_document


def _item(text: str = "", *, doc_class: str | None = "progress_note", sender: str = "", inbox: str | None = "scans") -> LabelInput:
    return LabelInput(doc_class=doc_class, sender=sender, inbox=inbox, text=text)


def test_default_keywords_are_whole_words_in_any_case_across_line_breaks() -> None:
    rules = AccessSettings().label_rules
    assert set(rule_labels(rules, _item("Assessment: opioid use\ndisorder, on buprenorphine"))) == {
        "substance_use_disorder"}
    assert set(rule_labels(rules, _item("hiv test negative; PHQ-9 score 4"))) == {"hiv", "behavioral_health"}
    assert rule_labels(rules, _item("archive of shivers; prenatally")) == {}  # no partial words


def test_a_rule_needs_every_criterion_it_names() -> None:
    rule = LabelRule(name="bh-clinic-faxes", label="behavioral_health", senders=("Valley Behavioral",),
                     inboxes=("faxes",), classes=("referral_letter",))
    rules = (rule,)
    hit = _item(doc_class="referral_letter", sender="From: VALLEY BEHAVIORAL HEALTH", inbox="faxes")
    assert rule_labels(rules, hit) == {"behavioral_health": ("bh-clinic-faxes",)}
    assert rule_labels(rules, _item(doc_class="referral_letter", sender="Valley Behavioral", inbox="scans")) == {}
    assert rule_labels(rules, _item(doc_class="lab_result", sender="Valley Behavioral", inbox="faxes")) == {}


def test_label_stage_labels_audits_and_marks_the_document(app: App, tmp_path: Path) -> None:
    settings = access_settings(tmp_path, access={"label_rules": [
        {"name": "hiv-words", "label": "hiv", "keywords": ["viral load"]},
        {"name": "bh-fax", "label": "behavioral_health", "senders": ["Hope Counseling"]},
    ]})
    with app.db.write() as conn:
        doc_id = insert_document(conn, doc_class="lab_result", state="classified", labelled=False,
                                 text="HIV-1 Viral\nLoad: 40 copies/mL", inbox="faxes",
                                 flags={"cover_sheet": {"sender": "Hope Counseling Center"}})
        row = conn.execute(select(documents).where(documents.c.id == doc_id)).one()
    doc = Doc.from_row(row)
    ctx = StageContext(settings=settings, blob_path=app.store.path, derived_dir=app.derived_dir,
                       worker_id="test", heartbeat=lambda: None)
    stage = access.label_stage
    assert stage.name == "label" and stage.applies(doc, ctx)
    assert not stage.applies(dataclasses.replace(doc, doc_class=None), ctx)  # not classified: not labelled
    result = stage.run(doc, ctx)
    assert result.state == "classified" and result.record is not None
    with app.db.read() as conn:
        assert access.document_facts(conn, doc_id).status == "unclassified"  # type: ignore[union-attr]
    with app.db.write() as conn:
        result.record(conn)
    with app.db.read() as conn:
        facts = access.document_facts(conn, doc_id)
        events = conn.execute(select(audit_events).where(audit_events.c.document_id == doc_id)).all()
    assert facts is not None and facts.labels == {"hiv", "behavioral_health"} and facts.status == "filed"
    assert facts.pending
    assert sorted((e.actor, json.loads(e.detail)["label"], json.loads(e.detail)["rules"]) for e in events) == [
        ("system", "behavioral_health", ["bh-fax"]), ("system", "hiv", ["hiv-words"])]
