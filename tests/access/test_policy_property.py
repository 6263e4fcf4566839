"""The one policy answers alike for one document and for search.

For generated documents x roles (the defaults and random ones) x labels x
break-the-glass grants x pending access changes: `may(p, "search", doc)`
equals `evaluate(visible_filter(p, ...), fields)` over the document's fields
as the search index stores them (IndexDocument.filter_fields), and search
never shows a document `may(p, "view", doc)` refuses.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk import access
from chartdesk.access import DocumentFacts, Grants, Principal, Rights
from chartdesk.config import DEFAULT_LABELS, AccessSettings, Permission
from chartdesk.index import IndexDocument, evaluate

ACCESS = AccessSettings()
CLASSES = ("progress_note", "lab_result", "insurance_card", "superbill", "consent_form", "other")
USERS = (1, 2, 3)
PATIENTS = (10, 11, 12)
STATUSES = ("unclassified", "review", "filed")

labels_st = st.frozensets(st.sampled_from(DEFAULT_LABELS), max_size=3)


@st.composite
def rights_st(draw: st.DrawFn) -> Rights:
    if draw(st.booleans()):
        return Rights.for_role(ACCESS, draw(st.sampled_from(sorted(ACCESS.roles))))
    classes = draw(st.one_of(st.just(frozenset({"*"})), st.frozensets(st.sampled_from(CLASSES), max_size=4)))
    labels = draw(st.one_of(st.just(frozenset({"*"})), labels_st))
    return Rights(
        # the permissions the rules read, drawn often; the rest now and then
        permissions=draw(st.frozensets(st.sampled_from(("view", "review", "break_glass")))) | draw(
            st.frozensets(st.sampled_from([p.value for p in Permission]), max_size=3)),
        classes=classes, labels=labels, known_labels=frozenset(DEFAULT_LABELS),
        restricted_charts=draw(st.booleans()),
    )


@st.composite
def world_st(draw: st.DrawFn) -> tuple[list[DocumentFacts], list[tuple[int, str, int]]]:
    n = draw(st.integers(1, 12))
    targets = st.one_of(st.tuples(st.just("doc"), st.integers(1, n)), st.tuples(st.just("patient"),
                                                                            st.sampled_from(PATIENTS)))
    # most grants belong to user 1, the usual principal, so grants often matter
    owners = st.sampled_from((1, 1, 1, 2, 3))
    grants = [(u, kind, t) for u, (kind, t) in draw(st.lists(st.tuples(owners, targets), max_size=2 * n))]
    restricted_patients = draw(st.frozensets(st.sampled_from(PATIENTS)))
    docs = []
    for doc_id in range(1, n + 1):
        patient = draw(st.one_of(st.none(), st.sampled_from(PATIENTS)))
        granted = frozenset(u for u, kind, target in grants
                            if (kind == "doc" and target == doc_id) or (kind == "patient" and target == patient))
        docs.append(DocumentFacts(
            doc_id=doc_id, doc_class=draw(st.one_of(st.none(), st.sampled_from(CLASSES))), labels=draw(labels_st),
            status=draw(st.sampled_from(STATUSES)), patient_id=patient,
            chart_restricted=patient in restricted_patients, pending=draw(st.booleans()), granted_to=granted,
        ))
    return docs, grants


def _grants_of(user_id: int, grants: list[tuple[int, str, int]]) -> Grants:
    return Grants(
        document_ids=frozenset(t for u, kind, t in grants if u == user_id and kind == "doc"),
        patient_ids=frozenset(t for u, kind, t in grants if u == user_id and kind == "patient"),
    )


def _index_document(doc: DocumentFacts) -> IndexDocument:
    """The document as the search index stores it."""
    return IndexDocument(
        doc_id=doc.doc_id, text="", title="", doc_class=doc.doc_class, source="scan", inbox="scans",
        patient_id=doc.patient_id, patient_names=(), patient_birth_date=None, doc_date=None,
        received=dt.date(2026, 1, 1), labels=tuple(sorted(doc.labels)), status=doc.status,
        chart_restricted=doc.chart_restricted,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=world_st(), rights=rights_st(), user_id=st.sampled_from((1, 1, 2, None)))
def test_may_and_visible_filter_agree(world: tuple[list[DocumentFacts], list[tuple[int, str, int]]],
                                      rights: Rights, user_id: int | None) -> None:
    docs, grants = world
    principal = Principal(user_id=user_id, username="u", role="r", client="test", rights=rights)
    pending = frozenset(d.doc_id for d in docs if d.pending)
    scope = access.visible_filter(principal, grants=_grants_of(user_id or 0, grants), pending=pending)
    for doc in docs:
        in_search = evaluate(scope, _index_document(doc).filter_fields())
        assert in_search == access.may(principal, "search", doc), (doc, scope)
        assert evaluate(scope, doc.filter_fields()) == in_search
        if in_search:
            assert access.may(principal, "view", doc)


@given(world=world_st())
def test_system_sees_everything(world: tuple[list[DocumentFacts], list[tuple[int, str, int]]]) -> None:
    scope = access.visible_filter(access.SYSTEM, pending=frozenset(d.doc_id for d in world[0]))
    assert all(evaluate(scope, d.filter_fields()) and access.may(access.SYSTEM, "view", d) for d in world[0])
