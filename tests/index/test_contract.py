"""The SearchIndex contract: every backend (conftest.FACTORIES) passes these.

Expected hit sets are written by hand against tests/index/corpus.py; filter
results are compared with the reference `filters.evaluate`.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.errors import UsageError
from chartdesk.index import (
    MATCH_ALL,
    And,
    DateRange,
    DocIds,
    Filter,
    MatchAll,
    MatchNone,
    Not,
    Or,
    SearchIndex,
    all_of,
    evaluate,
    load_synonyms,
    term,
)
from tests.index.corpus import BY_ID, CORPUS, DATE_DOCS, DATE_FORMS, FOLLOWUP, HIDDEN_WORD, doc

EVERYTHING = 200


def ids(index: SearchIndex, query: str, *, visible: Filter = MATCH_ALL, filters: Filter = MATCH_ALL) -> set[int]:
    results = index.search(query, visible=visible, filters=filters, limit=EVERYTHING)
    assert results.total == len(results.hits), "the corpus fits in one page"
    return set(results.doc_ids)


def reference(f: Filter) -> set[int]:
    return {d.doc_id for d in CORPUS if evaluate(f, d.filter_fields())}


# ---------------------------------------------------------------- words, phrases, operators


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cardiomegaly", {6}),
        ("CARDIOMEGALY", {6}),
        ("palpitations", {7}),
        ("palpitation", {7}),  # stem
        ("referrals", {7}),  # stem
        ('"heart failure"', {11, 12}),  # 11 via the OCR-folded phrase
        ('"failure heart"', set()),
        ('"chest x-ray"', {6}),
        ("levothyroxine hypothyroidism", {10}),
        ("levothyroxine furosemide", set()),
        ("levothyroxine OR furosemide", {10, 11}),
        ("levothyroxine || nitrofurantoin", {10, 28}),
        ("(levothyroxine OR furosemide) edema", {11}),
        ("followup -label:batch", {40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64}),
        ("followup NOT visit", set()),
        ("followup -number", set()),
        ("followup -7", FOLLOWUP - {47}),
        ("followup AND number AND 7", {47}),
        ("nitrofurantoin OR (culture AND negative)", {28, 29}),
        ("NOT followup class:registration", DATE_DOCS | {27}),
    ],
)
def test_words_phrases_and_operators(corpus_index: SearchIndex, query: str, expected: set[int]) -> None:
    assert ids(corpus_index, query) == expected


def test_prefix(corpus_index: SearchIndex) -> None:
    # cardiopulmonary, cardiomegaly, cardiology, cardiomyopathy (not echocardiogram: prefixes start words)
    assert ids(corpus_index, "card*") == {5, 6, 7, 8}
    assert ids(corpus_index, "cardiom*") == {6, 8}
    assert ids(corpus_index, "card* -radiology class:referral") == {7}


def test_a_lone_star_or_empty_box_lists_everything_newest_first(corpus_index: SearchIndex) -> None:
    results = corpus_index.search("", visible=MatchAll(), limit=EVERYTHING)
    assert set(results.doc_ids) == set(BY_ID)
    received = [BY_ID[i].received for i in results.doc_ids]
    assert received == sorted(received, reverse=True)
    assert set(corpus_index.search("*", visible=MatchAll(), limit=EVERYTHING).doc_ids) == set(BY_ID)


def test_phrase_ranks_above_scattered_words(fresh_index: SearchIndex) -> None:
    fresh_index.add([
        doc(1, "the heart was normal; renal failure noted later in the admission"),
        doc(2, "admitted with heart failure"),
    ])
    fresh_index.commit()
    assert fresh_index.search("heart failure", visible=MatchAll()).doc_ids[0] == 2


def test_exact_word_ranks_above_fuzzy_match(fresh_index: SearchIndex) -> None:
    fresh_index.add([doc(1, "dilation of the aorta"), doc(2, "dilatation of the aorta")])
    fresh_index.commit()
    assert fresh_index.search("dilation", visible=MatchAll()).doc_ids == [1, 2]


# ---------------------------------------------------------------- synonyms, fuzzy, OCR


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("MI", {1, 2, 13}),
        ("heart attack", {1, 2, 13}),
        ("myocardial infarction", {1, 2, 13}),
        ("HbA1c", {3, 4}),
        ("hemoglobin A1c", {3, 4}),
        ("a1c", {3, 4}),
        ("CXR", {5, 6}),
        ("chest x-ray", {5, 6}),
        ("EKG", {7, 9}),
        ("ECG", {7, 9}),
        ("CHF", {11, 12}),
        ("urinary tract infection", {28, 29}),
        ("BP", {2, 18}),
    ],
)
def test_synonyms(corpus_index: SearchIndex, query: str, expected: set[int]) -> None:
    assert ids(corpus_index, query) == expected


def test_quoted_phrase_is_not_expanded(corpus_index: SearchIndex) -> None:
    assert ids(corpus_index, '"heart attack"') == {2}


def test_local_synonyms_file_adds_groups(index_factory, tmp_path) -> None:  # noqa: ANN001
    extra = tmp_path / "synonyms.txt"
    extra.write_text("# local\nzebrafinch, finch bird\n", encoding="utf-8")
    index = index_factory(tmp_path / "index", synonyms=load_synonyms(extra))
    try:
        index.add([doc(1, "allergic to the finch bird"), doc(2, "bird seen")])
        index.commit()
        assert set(index.search("zebrafinch", visible=MatchAll()).doc_ids) == {1}
    finally:
        index.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hypothyrodism", {10}),  # one letter missing
        ("cardiomegally", {6}),  # one extra
        ("levothryoxine", {10}),  # two letters swapped
        ("palpitatoins", {7}),
    ],
)
def test_one_typo_in_a_long_word_still_finds_it(corpus_index: SearchIndex, query: str, expected: set[int]) -> None:
    assert ids(corpus_index, query) == expected


def test_short_words_are_not_fuzzy(corpus_index: SearchIndex) -> None:
    assert ids(corpus_index, "UTA") == set()  # UTI is three letters: no typo allowance


def test_fuzzy_can_be_turned_off(index_factory, tmp_path) -> None:  # noqa: ANN001
    index = index_factory(tmp_path / "index", fuzzy=False)
    try:
        index.add([doc(1, "hypothyroidism")])
        index.commit()
        assert index.search("hypothyrodism", visible=MatchAll()).total == 0
        assert index.search("hypothyroidism", visible=MatchAll()).total == 1
    finally:
        index.close()


def test_not_excludes_only_what_is_written(corpus_index: SearchIndex) -> None:
    """Fuzzy and OCR matching widen what is found, never what NOT excludes."""
    radiology = reference(term("doc_class", "radiology"))
    assert ids(corpus_index, "class:radiology -cardiomegally") == radiology  # a typo excludes nothing
    assert ids(corpus_index, "class:radiology -cardiomegaly") == radiology - {6}
    assert ids(corpus_index, "card* -radiology") == {5, 6, 7, 8}  # "radiology" is not "cardiology"


@pytest.mark.parametrize("query", ["congestive heart failure", "ankle edema", "heart failure furosemide"])
def test_ocr_noise_does_not_hide_a_fax(corpus_index: SearchIndex, query: str) -> None:
    assert 11 in ids(corpus_index, query)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("form", [*DATE_FORMS, "Mar 4th, 1961", "4th of March 1961", "04-Mar-61", '"March 4, 1961"'])
def test_every_written_form_of_a_date_finds_every_other(corpus_index: SearchIndex, form: str) -> None:
    found = ids(corpus_index, form)
    assert found >= DATE_DOCS
    assert 27 not in found
    jane_docs = {d.doc_id for d in CORPUS if d.patient_id == 101}
    assert found == DATE_DOCS | jane_docs  # Jane Doe's birth date: her documents too


def test_a_date_highlights_its_written_form(corpus_index: SearchIndex) -> None:
    results = corpus_index.search("1961-03-04", visible=MatchAll(), filters=term("doc_class", "registration"), limit=20)
    by_id = {h.doc_id: h.snippet for h in results.hits}
    assert "<mark>March</mark> <mark>4</mark> <mark>1961</mark>" in by_id[23]
    assert "<mark>04MAR1961</mark>" in by_id[25]


def test_date_filter_typed_in_the_box(corpus_index: SearchIndex) -> None:
    typed = ids(corpus_index, "date:2026-02-05..2026-02-10")
    assert typed == reference(DateRange("doc_date", dt.date(2026, 2, 5), dt.date(2026, 2, 10)))
    assert typed
    assert ids(corpus_index, "received:..2026-03-02") == reference(DateRange("received", None, dt.date(2026, 3, 2)))


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("layout", ["DOE, JANE A", "Jane Doe", "jane a. doe", "Doe Jane", "JANE DOE"])
def test_names_in_every_layout_find_the_patients_documents_first(corpus_index: SearchIndex, layout: str) -> None:
    results = corpus_index.search(layout, visible=MatchAll(), limit=EVERYTHING)
    jane_docs = {d.doc_id for d in CORPUS if d.patient_id == 101}
    assert set(results.doc_ids[: len(jane_docs)]) == jane_docs


def test_patient_name_finds_a_document_whose_text_misspells_it(corpus_index: SearchIndex) -> None:
    assert 19 in ids(corpus_index, "jane doe immunisations")


# ---------------------------------------------------------------- filters


FILTERS: list[Filter] = [
    MatchAll(),
    MatchNone(),
    term("doc_class", "lab_result"),
    term("doc_class", "lab_result", "radiology"),
    term("source", "fax"),
    term("inbox", "faxes"),
    term("labels", "urgent"),
    term("labels", "batch", "chf"),
    term("status", "review"),
    term("status", "unclassified"),
    term("patient", "101"),
    term("chart", "restricted"),
    term("chart", "open"),
    DocIds(frozenset({1, 5, 40, 999})),
    DateRange("doc_date", dt.date(2026, 2, 10), dt.date(2026, 2, 20)),
    DateRange("doc_date", None, dt.date(2026, 2, 3)),
    DateRange("received", dt.date(2026, 3, 20), None),
    DateRange("doc_date"),
    Not(term("inbox", "faxes")),
    Not(DateRange("doc_date")),
    And((term("source", "fax"), Not(term("status", "review")))),
    Or((term("patient", "101"), term("labels", "urgent"))),
    all_of(Not(term("chart", "restricted")), Or((term("status", "filed"), term("patient", "300")))),
]


@pytest.mark.parametrize("f", FILTERS, ids=repr)
def test_every_filter_means_what_evaluate_says(corpus_index: SearchIndex, f: Filter) -> None:
    assert ids(corpus_index, "", filters=f) == reference(f)
    assert ids(corpus_index, "", visible=f) == reference(f)


_KEYWORD_VALUES = {
    "doc_class": ["lab_result", "radiology", "clinical_note", "referral"],
    "source": ["scan", "fax", "dictation", "upload"],
    "inbox": ["scans", "faxes", "dictation"],
    "labels": ["urgent", "batch", "diabetes"],
    "status": ["filed", "review", "unclassified"],
    "patient": ["101", "102", "300", "301"],
    "chart": ["restricted", "open"],
}
_DAYS = st.dates(min_value=dt.date(2026, 1, 25), max_value=dt.date(2026, 4, 1))
_LEAF = st.one_of(
    st.sampled_from(sorted(_KEYWORD_VALUES)).flatmap(
        lambda f: st.sets(st.sampled_from(_KEYWORD_VALUES[f]), min_size=1, max_size=2).map(lambda v: term(f, *v))
    ),
    st.sets(st.sampled_from(sorted(BY_ID)), max_size=4).map(lambda s: DocIds(frozenset(s))),
    st.builds(DateRange, st.sampled_from(["doc_date", "received"]), st.none() | _DAYS, st.none() | _DAYS),
    st.just(MatchAll()),
    st.just(MatchNone()),
)
_FILTER = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda p: And(tuple(p))),
        st.lists(inner, min_size=1, max_size=3).map(lambda p: Or(tuple(p))),
        inner.map(Not),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=_FILTER)
def test_random_filter_trees_agree_with_evaluate(corpus_index: SearchIndex, f: Filter) -> None:
    assert ids(corpus_index, "", visible=f) == reference(f)
    assert ids(corpus_index, "followup", filters=f) == reference(f) & FOLLOWUP


def test_filters_typed_in_the_box(corpus_index: SearchIndex) -> None:
    assert ids(corpus_index, "class:lab_result") == reference(term("doc_class", "lab_result"))
    assert ids(corpus_index, "followup source:fax status:review") == reference(
        all_of(term("source", "fax"), term("status", "review"))
    ) & FOLLOWUP
    assert ids(corpus_index, "patient:101 -class:clinical_note") == {1, 3}
    assert ids(corpus_index, "label:urgent OR label:chf") == {3, 6, 12}
    assert ids(corpus_index, "chart:restricted hemoglobin") == {13}
    assert ids(corpus_index, "id:1,2,3 MI") == {1, 2}


# ---------------------------------------------------------------- visibility


VISIBLE = [
    Not(term("chart", "restricted")),
    Not(term("status", "review")),
    all_of(Not(term("chart", "restricted")), Not(term("status", "review"))),
    term("patient", "101"),
    MatchNone(),
]
QUERIES = ["hemoglobin", "followup", "", "MI", "03/04/1961", HIDDEN_WORD, "hemog*", "hemoglobn"]


@pytest.mark.parametrize("visible", VISIBLE, ids=repr)
@pytest.mark.parametrize("query", QUERIES)
def test_visible_filter_holds_for_totals_every_page_and_snippets(corpus_index: SearchIndex, visible: Filter, query: str) -> None:
    allowed = reference(visible)
    unfiltered = ids(corpus_index, query)
    expected = unfiltered & allowed
    seen: list[int] = []
    offset = 0
    while True:
        page = corpus_index.search(query, visible=visible, offset=offset, limit=3)
        assert page.total == len(expected)
        seen.extend(page.doc_ids)
        for hit in page.hits:
            if HIDDEN_WORD not in BY_ID[hit.doc_id].text:
                assert HIDDEN_WORD not in hit.snippet.lower()
        if not page.hits:
            break
        offset += 3
    assert len(seen) == len(set(seen)), "pages do not overlap"
    assert set(seen) == expected


def test_hidden_documents_do_not_count(corpus_index: SearchIndex) -> None:
    visible = all_of(Not(term("chart", "restricted")), Not(term("status", "review")))
    assert corpus_index.search(HIDDEN_WORD, visible=visible).total == 0
    assert corpus_index.search(HIDDEN_WORD, visible=MatchAll()).total == 2


def test_paging_is_stable_and_complete(corpus_index: SearchIndex) -> None:
    full = corpus_index.search("followup", visible=MatchAll(), limit=EVERYTHING).doc_ids
    paged = [i for off in range(0, 30, 7) for i in corpus_index.search("followup", visible=MatchAll(), offset=off, limit=7).doc_ids]
    assert paged == full
    assert corpus_index.search("followup", visible=MatchAll(), offset=100).hits == ()
    assert corpus_index.search("followup", visible=MatchAll(), limit=0).total == 25


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, -1), (0, 10_000), (10**9, 10)])
def test_bad_paging_is_a_usage_error(corpus_index: SearchIndex, offset: int, limit: int) -> None:
    with pytest.raises(UsageError):
        corpus_index.search("followup", visible=MatchAll(), offset=offset, limit=limit)


# ---------------------------------------------------------------- snippets


def test_snippet_escapes_markup_from_the_document(corpus_index: SearchIndex) -> None:
    [hit] = corpus_index.search("potassium", visible=MatchAll()).hits
    assert "<mark>potassium</mark>" in hit.snippet
    assert "&lt;script&gt;" in hit.snippet and "&lt;b&gt;high&lt;/b&gt;" in hit.snippet
    assert "&amp; sodium" in hit.snippet
    assert re.sub(r"</?mark>", "", hit.snippet).count("<") == 0


def test_snippet_names_its_page(corpus_index: SearchIndex) -> None:
    [hit] = corpus_index.search("zebrafinch", visible=MatchAll()).hits
    assert hit.page == 3
    assert "<mark>zebrafinch</mark>" in hit.snippet


def test_snippet_marks_typos_prefixes_and_ocr_matches(corpus_index: SearchIndex) -> None:
    assert "<mark>hypothyroidism</mark>" in corpus_index.search("hypothyrodism", visible=MatchAll()).hits[0].snippet
    assert "<mark>cardiomegaly</mark>" in corpus_index.search("cardiomeg*", visible=MatchAll()).hits[0].snippet
    ocr = corpus_index.search("congestive", visible=MatchAll(), filters=DocIds(frozenset({11}))).hits[0]
    assert "<mark>c0ngestive</mark>" in ocr.snippet


def test_a_match_outside_the_text_still_gets_a_plain_snippet(corpus_index: SearchIndex) -> None:
    [hit] = corpus_index.search("Jayne Dough", visible=MatchAll()).hits
    assert hit.doc_id == 19 and "Jayne" in hit.snippet and hit.page == 1


# ---------------------------------------------------------------- writing


def test_add_is_idempotent_and_replaces(fresh_index: SearchIndex) -> None:
    fresh_index.add([doc(1, "first version mentions apples")])
    fresh_index.add([doc(1, "first version mentions apples")])
    fresh_index.commit()
    assert fresh_index.count() == 1
    fresh_index.add([doc(1, "second version mentions pears")])
    fresh_index.commit()
    assert fresh_index.count() == 1
    assert fresh_index.search("apples", visible=MatchAll()).total == 0
    assert fresh_index.search("pears", visible=MatchAll()).doc_ids == [1]


def test_removal_removes(fresh_index: SearchIndex) -> None:
    fresh_index.add([doc(1, "alpha"), doc(2, "alpha beta"), doc(3, "gamma")])
    fresh_index.commit()
    fresh_index.remove([2, 999])
    fresh_index.commit()
    assert fresh_index.count() == 2
    assert fresh_index.search("alpha", visible=MatchAll()).doc_ids == [1]


def test_clear_empties_and_changes_identity(fresh_index: SearchIndex) -> None:
    fresh_index.add([doc(1, "alpha")])
    fresh_index.commit()
    before = fresh_index.identity()
    fresh_index.clear()
    assert fresh_index.count() == 0
    assert fresh_index.identity() != before


def test_uncommitted_changes_are_not_searchable(fresh_index: SearchIndex) -> None:
    fresh_index.add([doc(1, "alpha")])
    assert fresh_index.search("alpha", visible=MatchAll()).total == 0
    fresh_index.commit()
    assert fresh_index.search("alpha", visible=MatchAll()).total == 1


def test_a_reader_sees_commits_after_reload(index_factory, tmp_path) -> None:  # noqa: ANN001
    writer = index_factory(tmp_path / "index")
    reader = index_factory(tmp_path / "index", writer=False)
    try:
        writer.add([doc(1, "alpha")])
        writer.commit()
        assert reader.search("alpha", visible=MatchAll()).total == 0
        reader.reload()
        assert reader.search("alpha", visible=MatchAll()).total == 1
        with pytest.raises(Exception) as refused:
            reader.add([doc(2, "beta")])
        assert type(refused.value).__name__ == "ConflictError"
    finally:
        writer.close()
        reader.close()


def test_one_writer_at_a_time(index_factory, tmp_path) -> None:  # noqa: ANN001
    first = index_factory(tmp_path / "index")
    second = index_factory(tmp_path / "index")
    try:
        first.add([doc(1, "alpha")])
        with pytest.raises(Exception) as busy:
            second.add([doc(2, "beta")])
        assert type(busy.value).__name__ == "ConflictError"
        first.commit()  # the writer is released after its commit
        second.add([doc(2, "beta")])
        second.commit()
        assert second.count() == 2
    finally:
        first.close()
        second.close()
