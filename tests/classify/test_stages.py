"""The classify and match stages on a real installation: a document's pages in,
class, date, patient and evidence out; a fax with a cover sheet split in two."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from chartdesk.app import App
from chartdesk.charts import blob_in_use, original_needed
from chartdesk.classify import SPLIT, ClassifyStage, MatchStage
from chartdesk.db import (
    classifications,
    document_identifiers,
    match_candidates,
    pages,
    review_items,
)
from tests.classify.helpers import add_document, add_patient, context, doc_row, load_doc, run_stage

D = dt.date
LAB = """Quantum Diagnostics
LABORATORY REPORT
Patient: DOE, JANE A   DOB: 03/04/1961   MRN: 4512
Collected: 11/02/2023    Reported: 11/03/2023
Ordering Physician: Dr. Tyler Quintero, MD
Comprehensive Metabolic Panel
Glucose 98 mg/dL 65-99
Sodium 140 mmol/L 135-145
Potassium 4.1 mmol/L 3.5-5.1"""
COVER = """Valley Family Medicine
FAX COVER SHEET
To: Medical Records   Fax: (555) 111-2222
From: Dr. Anna Lee
Date: 11/04/2023
Number of pages (including cover): 2
CONFIDENTIALITY NOTICE: This facsimile contains confidential information intended only for the recipient named above."""


def test_classify_then_match_attaches_a_clear_lab_result(cls_app: App) -> None:
    jane = add_patient(cls_app, "4512", "Doe", "Jane", D(1961, 3, 4))
    doc = add_document(cls_app, [LAB])
    run_stage(cls_app, ClassifyStage(), doc, next_stage="match")
    row = doc_row(cls_app, doc)
    assert (row.doc_class, row.state, row.doc_date) == ("lab_result", "classified", D(2023, 11, 2))
    assert row.class_confidence > 0.8
    run_stage(cls_app, MatchStage(), doc, next_stage="index")
    row = doc_row(cls_app, doc)
    assert (row.state, row.patient_id) == ("matched", jane)
    with cls_app.db.read() as conn:
        cls = conn.execute(select(classifications).where(classifications.c.document_id == doc)).one()
        kinds = {r.kind for r in conn.execute(select(document_identifiers).where(document_identifiers.c.document_id == doc))}
        cand = conn.execute(select(match_candidates).where(match_candidates.c.document_id == doc)).first()
    assert cls.evidence and cls.doc_date_evidence["label"] == "collected"
    assert {"name", "dob", "mrn"} <= kinds
    assert cand.patient_id == jane and set(cand.agreements["_agreeing"]) >= {"name", "dob"}


def test_unknown_patient_goes_to_the_review_queue_with_reasons(cls_app: App) -> None:
    add_patient(cls_app, "4512", "Doe", "Jane", D(1961, 3, 4))
    doc = add_document(cls_app, [LAB.replace("DOE, JANE A", "ROE, RICHARD").replace("4512", "7777")])
    run_stage(cls_app, ClassifyStage(), doc, next_stage="match")
    result = run_stage(cls_app, MatchStage(), doc, next_stage="index")
    row = doc_row(cls_app, doc)
    assert (row.state, row.patient_id) == ("needs_review", None)
    with cls_app.db.read() as conn:
        item = conn.execute(select(review_items).where(review_items.c.document_id == doc)).one()
    assert item.status == "open" and item.reasons
    assert "RICHARD" not in str(result.summary) and "ROE" not in str(result.summary)


def test_fax_with_cover_sheet_is_split_into_two_children(cls_app: App) -> None:
    jane = add_patient(cls_app, "4512", "Doe", "Jane", D(1961, 3, 4))
    parent = add_document(cls_app, [COVER, LAB], source="fax", sha="ab" * 32)
    result = run_stage(cls_app, ClassifyStage(), parent, next_stage="match")
    assert result.state == SPLIT and result.done
    row = doc_row(cls_app, parent)
    assert row.state == SPLIT and row.doc_class is None
    children = row.flags["split"]["children"]
    cover, body = children["cover"], children["body"]
    with cls_app.db.read() as conn:
        body_pages = conn.execute(select(pages).where(pages.c.document_id == body)).all()
        assert original_needed(conn, parent)
        assert blob_in_use(conn, "ab" * 32, ignoring=frozenset({parent}))
    assert [p.text for p in body_pages] == [LAB]
    assert body_pages[0].info["parent_page"] == 2 and body_pages[0].image == f"../{parent}/page-0002.png"
    b, c = doc_row(cls_app, body), doc_row(cls_app, cover)
    assert (b.parent_id, b.page_start, b.page_end, b.sha256, b.stage) == (parent, 2, 2, "ab" * 32, "classify")
    assert (c.page_start, c.page_end) == (1, 1)
    for child in (cover, body):
        run_stage(cls_app, ClassifyStage(), child, next_stage="match")
        run_stage(cls_app, MatchStage(), child, next_stage="index")
    c, b = doc_row(cls_app, cover), doc_row(cls_app, body)
    assert c.doc_class == "fax_cover_sheet" and c.flags["cover_sheet"]["stated_pages"] == 2
    assert c.flags["cover_sheet"]["sender"] == "Dr. Anna Lee"
    assert (b.doc_class, b.patient_id, b.state) == ("lab_result", jane, "matched")


def test_split_commits_once_when_the_stage_runs_twice(cls_app: App) -> None:
    parent = add_document(cls_app, [COVER, LAB], source="fax")
    stage = ClassifyStage()
    first = stage.run(load_doc(cls_app, parent), context(cls_app))
    for _ in range(2):
        with cls_app.db.write() as conn:
            assert first.record is not None
            first.record(conn)
    with cls_app.db.read() as conn:
        kids = conn.execute(select(pages.c.document_id).where(pages.c.document_id != parent).distinct()).all()
    assert len(kids) == 2


def test_dictated_letter_is_a_referral_letter(cls_app: App) -> None:
    """Source is not class: a transcript of a dictated letter is a referral letter."""
    add_patient(cls_app, "4512", "Doe", "Jane", D(1961, 3, 4))
    text = ("This is a letter to Doctor Anna Lee. Regarding Jane Doe, date of birth March 4, 1961. Dear doctor, thank you "
            "for seeing this patient for persistent heartburn despite PPI therapy. I would value your opinion. Kind regards.")
    doc = add_document(cls_app, [text], source="dictation", kind="audio")
    run_stage(cls_app, ClassifyStage(), doc, next_stage="match")
    run_stage(cls_app, MatchStage(), doc, next_stage="index")
    row = doc_row(cls_app, doc)
    assert row.doc_class == "referral_letter"
    assert row.patient_id is not None
