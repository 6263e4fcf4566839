"""Legal holds beat the rules: on a patient (and a chart merged into another), on
documents, on a saved search evaluated against the database (even with an
empty search index); placing and releasing are separate audited acts."""

from __future__ import annotations

import datetime as dt

import pytest

from chartdesk import access, charts, index, retention
from chartdesk.errors import NotFoundError, UsageError
from chartdesk.retention import HoldReleasedError
from chartdesk.retention.holdsearch import DocView, compile_query, evaluate
from tests.retention.conftest import Site
from tests.retention.helpers import TODAY, actions, approve_and_apply, states


def _plan(site: Site) -> retention.Plan:
    return retention.plan_for(site.app, site.principal("carl"), today=TODAY)


def test_a_patient_hold_keeps_the_whole_chart_and_only_it(site: Site) -> None:
    hold = retention.place_hold(site.app, site.principal("carl"), matter="Doe v. Valley Clinic",
                                reason="notice of claim received 2026-01-05", patient_id=site.patients["A"])
    plan = _plan(site)
    a_docs = {site.docs[n] for n in ("marked", "lab", "card", "consent", "body")}
    assert {r.document_id for r in plan.held} == a_docs
    assert all(r.held_by == (hold.id,) for r in plan.held)
    assert {r.document_id for r in plan.destroy} == {site.docs["minor"], site.docs["cover"]}
    outcome = approve_and_apply(site)
    assert outcome.run is not None
    after = states(site.app, list(site.docs.values()))
    assert all(after[d] == "indexed" for d in a_docs)
    assert after[site.docs["minor"]] == after[site.docs["cover"]] == "destroyed"
    placed = actions(site.app, "hold_placed")
    assert placed and placed[0][0] == "carl" and placed[0][3]["hold_id"] == hold.id


def test_a_hold_on_a_chart_follows_its_documents_into_the_chart_it_is_merged_into(site: Site) -> None:
    retention.place_hold(site.app, site.principal("carl"), matter="subpoena 2026-114", reason="records subpoenaed",
                         patient_id=site.patients["B"])
    charts.merge_patients(site.app.db, site.patients["B"], site.patients["A"], reason="duplicate chart",
                          principal=site.principal("rita"))
    held = {r.document_id for r in _plan(site).held}
    assert site.docs["minor"] in held  # now in A's chart, still held


def test_a_saved_search_hold_is_evaluated_on_the_database_not_the_index(site: Site) -> None:
    """Given a search hold for words of the lab result and an empty search index
    (as after a crash or while it is rebuilt), the plan still keeps the lab result."""
    writer = index.open_index(site.settings, writer=True)
    try:
        writer.clear()
    finally:
        writer.close()
    hold = retention.place_hold(site.app, site.principal("cora"), matter="lab audit", reason="state lab inspection",
                                query='"chain of custody"')
    plan = _plan(site)
    assert {r.document_id for r in plan.held} == {site.docs["lab"]}
    assert plan.held[0].held_by == (hold.id,)
    with pytest.raises(UsageError):
        retention.place_hold(site.app, site.principal("cora"), matter="bad search", reason="nothing to look for",
                             query="NOT")


def test_a_search_hold_with_a_field_filter(site: Site) -> None:
    retention.place_hold(site.app, site.principal("cora"), matter="billing dispute", reason="payer audit letter",
                         query="class:insurance_card")
    assert {r.document_id for r in _plan(site).held} == {site.docs["card"]}


def test_a_document_hold_on_a_split_fax_keeps_both_parts(site: Site) -> None:
    retention.place_hold(site.app, site.principal("cora"), matter="fax trail", reason="disputed referral",
                         document_ids=(site.docs["fax"],))
    assert {r.document_id for r in _plan(site).held} == {site.docs["cover"], site.docs["body"]}


def test_release_is_its_own_audited_act_and_the_plan_changes_back(site: Site) -> None:
    cora = site.principal("cora")
    free = _plan(site).fingerprint
    hold = retention.place_hold(site.app, cora, matter="claim 9", reason="demand letter", document_ids=(site.docs["card"],))
    assert _plan(site).fingerprint != free
    with pytest.raises(UsageError):
        retention.release_hold(site.app, cora, hold.id, reason="")
    released = retention.release_hold(site.app, cora, hold.id, reason="claim withdrawn in writing")
    assert not released.active and released.released_by == "cora"
    assert _plan(site).fingerprint == free
    with pytest.raises(HoldReleasedError):
        retention.release_hold(site.app, cora, hold.id, reason="claim withdrawn in writing")
    assert [e[3]["hold_id"] for e in actions(site.app, "hold_released")] == [hold.id]
    assert [h.id for h in retention.list_holds(site.app, cora, active_only=False)] == [hold.id]
    assert retention.list_holds(site.app, cora) == []


def test_who_may_place_and_release_holds(site: Site) -> None:
    with pytest.raises(access.NotPermittedError):
        retention.place_hold(site.app, site.principal("rita"), matter="m" * 6, reason="r" * 6,
                             patient_id=site.patients["A"])  # records: no legal_hold permission
    with pytest.raises(UsageError):
        retention.place_hold(site.app, site.principal("cora"), matter="claim 1", reason="reason",
                             patient_id=site.patients["A"], document_ids=(site.docs["lab"],))
    with pytest.raises(NotFoundError):
        retention.place_hold(site.app, site.principal("cora"), matter="claim 1", reason="reason", patient_id=9999)
    with pytest.raises(NotFoundError):
        retention.place_hold(site.app, site.principal("cora"), matter="claim 1", reason="reason", document_ids=(9999,))


# ---- the saved search on one document's view (no database) ----

NOTE = DocView(tokens=frozenset({"patient", "fractures", "left", "wrist", "hemoglobin", "ordered", "he1lo"}),
               dates=frozenset({dt.date(2024, 3, 5)}),
               fields={"doc_class": "progress_note", "doc_id": 4, "labels": ()})


@pytest.mark.parametrize(("query", "held"), [
    ("fracture", True),  # a shorter form: the wide match keeps it
    ("wrists", True),
    ("hemoglobn", True),  # a typo the search box forgives
    ('"left wrist"', True),
    ("fracture AND ankle", False),
    ("fracture OR ankle", True),
    ("03/05/2024", True),
    ("class:progress_note", True),
    ("class:lab_result", False),
    ("ankle*", False),
    ("frac*", True),
    ("hello", True),  # the OCR-confused form in the text ("he1lo") folds to the same
])
def test_a_search_hold_matches_at_least_what_the_search_box_would(query: str, held: bool,  # noqa: FBT001
                                                                   site: Site) -> None:
    assert evaluate(compile_query(query, site.settings), NOTE, wide=True) is held


def test_under_not_the_excluded_words_match_narrowly_so_a_not_never_releases_more() -> None:
    from chartdesk.index import parse_query

    # "wrist" is in the note: NOT wrist excludes it; "fracture" is only a wide match
    # of "fractures", so NOT fracture must not exclude it (the hold keeps it).
    assert evaluate(parse_query("patient NOT wrist"), NOTE, wide=True) is False
    assert evaluate(parse_query("patient NOT fracture"), NOTE, wide=True) is True
