"""Search never leaks: over a real tantivy index (opened through
chartdesk.index.open_index), for generated principals x roles x labels x
grants, the ids search returns across every page, its total, its snippets,
and prefix and fuzzy queries are exactly the documents `may` lets the
principal find. Documents with a pending access change are indexed with
their *old* access fields, as a real index holds them until reindexed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk import access
from chartdesk.access import DocumentFacts, Grants, Principal, Rights
from chartdesk.config import DEFAULT_LABELS, AccessSettings
from chartdesk.index import IndexDocument, MatchAll, SearchIndex, open_index, term
from tests.conftest import make_settings

ACCESS = AccessSettings()
CLASSES = ("progress_note", "lab_result", "insurance_card", "superbill", "consent_form")
PATIENTS = (10, 11, 12, 13)
RESTRICTED = {12}
N_DOCS = 80
QUERIES = ("zebrafish", "zebra*", "zebrafsh", '"zebrafish harbour"')  # exact, prefix, one typo, phrase


def _world(seed: int = 7) -> tuple[list[DocumentFacts], list[IndexDocument]]:
    rnd = random.Random(seed)
    facts, indexed = [], []
    for doc_id in range(1, N_DOCS + 1):
        patient = rnd.choice((None, *PATIENTS))
        labels = frozenset(rnd.sample(DEFAULT_LABELS, rnd.choice((0, 0, 1, 2))))
        doc = DocumentFacts(
            doc_id=doc_id, doc_class=rnd.choice((None, *CLASSES)), labels=labels,
            status=rnd.choice(("unclassified", "review", "filed", "filed", "filed")), patient_id=patient,
            chart_restricted=patient in RESTRICTED, pending=rnd.random() < 0.15,
        )
        facts.append(doc)
        stale = dataclasses.replace(doc, labels=frozenset()) if doc.pending else doc  # label added, not reindexed
        indexed.append(_index_document(stale))
    return facts, indexed


def _index_document(doc: DocumentFacts) -> IndexDocument:
    return IndexDocument(
        doc_id=doc.doc_id, title=f"document {doc.doc_id}",
        text=f"Seen at the zebrafish harbour clinic. Reference secret{doc.doc_id:03d}x.",
        doc_class=doc.doc_class, source="scan", inbox="scans", patient_id=doc.patient_id, patient_names=(),
        patient_birth_date=None, doc_date=None, received=dt.date(2026, 1, 1), labels=tuple(sorted(doc.labels)),
        status=doc.status, chart_restricted=doc.chart_restricted,
    )


FACTS, INDEXED = _world()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    root: Path = tmp_path_factory.mktemp("leak")
    settings_ = make_settings(root)
    settings_.index_dir.mkdir(parents=True, exist_ok=True)
    idx = open_index(settings_, writer=True)
    idx.add(INDEXED)
    idx.commit()
    yield idx
    idx.close()


@st.composite
def rights_st(draw: st.DrawFn) -> Rights:
    if draw(st.booleans()):
        return Rights.for_role(ACCESS, draw(st.sampled_from(sorted(ACCESS.roles))))
    review = draw(st.booleans()) and draw(st.booleans())
    if review:  # config requires a review role to see everything (AccessSettings validator)
        return Rights(permissions=frozenset({"view", "review"}), classes=frozenset({"*"}),
                      labels=frozenset({"*"}), known_labels=frozenset(DEFAULT_LABELS), restricted_charts=True)
    return Rights(
        permissions=frozenset({"view"}) | draw(st.frozensets(st.just("break_glass"))),
        classes=draw(st.one_of(st.just(frozenset({"*"})), st.frozensets(st.sampled_from(CLASSES), min_size=1))),
        labels=draw(st.one_of(st.just(frozenset({"*"})), st.frozensets(st.sampled_from(DEFAULT_LABELS)))),
        known_labels=frozenset(DEFAULT_LABELS), restricted_charts=draw(st.booleans()),
    )


def _search_all(index: SearchIndex, query: str, visible: object, filters: object, limit: int) -> tuple[set[int], int, list[str]]:
    ids: set[int] = set()
    snippets: list[str] = []
    offset, total = 0, None
    while True:
        page = index.search(query, visible=visible, filters=filters, offset=offset, limit=limit)  # type: ignore[arg-type]
        total = page.total if total is None else total
        assert page.total == total  # the total does not change from page to page
        ids |= set(page.doc_ids)
        snippets += [h.snippet for h in page.hits]
        if not page.hits:
            return ids, total, snippets
        offset += limit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rights=rights_st(), doc_grants=st.frozensets(st.integers(1, N_DOCS), max_size=8),
       patient_grants=st.frozensets(st.sampled_from(PATIENTS), max_size=2), query=st.sampled_from(QUERIES),
       limit=st.sampled_from((3, 7, 50)), narrow=st.booleans())
def test_search_returns_exactly_what_may_allows(index: SearchIndex, rights: Rights, doc_grants: frozenset[int],
                                                patient_grants: frozenset[int], query: str, limit: int,
                                                narrow: bool) -> None:  # noqa: FBT001
    principal = Principal(user_id=1, username="u", role="r", client="test", rights=rights)
    facts = [dataclasses.replace(d, granted_to=frozenset({1}) if d.doc_id in doc_grants
                                 or d.patient_id in patient_grants else frozenset()) for d in FACTS]
    pending = frozenset(d.doc_id for d in FACTS if d.pending)
    scope = access.visible_filter(principal, grants=Grants(doc_grants, patient_grants), pending=pending)
    filters = term("doc_class", "progress_note", "lab_result") if narrow else MatchAll()
    wanted = {d.doc_id for d in facts if access.may(principal, "search", d)
              and (not narrow or d.doc_class in ("progress_note", "lab_result"))}
    ids, total, snippets = _search_all(index, query, scope, filters, limit)
    assert ids == wanted
    assert total == len(wanted)
    hidden = {d.doc_id for d in facts} - wanted
    leaked = [s for s in snippets for h in hidden if f"secret{h:03d}x" in s]
    assert not leaked
