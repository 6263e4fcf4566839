"""The query grammar: what staff type becomes a tree, or a UsageError that says
what to type instead; never a crash, whatever is typed."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.errors import UsageError
from chartdesk.index import (
    DateRange,
    DateTerm,
    DocIds,
    FieldFilter,
    MatchAll,
    MatchEverything,
    Phrase,
    Prefix,
    QueryAnd,
    QueryNot,
    QueryOr,
    SearchIndex,
    Word,
    expand_synonyms,
    load_synonyms,
    parse_query,
    term,
)
from chartdesk.index.query import MAX_DEPTH, MAX_QUERY_CHARS


@pytest.mark.parametrize(
    ("typed", "tree"),
    [
        ("heart", Word("heart")),
        ("heart failure", QueryAnd((Word("heart"), Word("failure")))),
        ("heart AND failure", QueryAnd((Word("heart"), Word("failure")))),
        ("a OR b c", QueryOr((Word("a"), QueryAnd((Word("b"), Word("c")))))),
        ("(a OR b) c", QueryAnd((QueryOr((Word("a"), Word("b"))), Word("c")))),
        ("NOT x", QueryNot(Word("x"))),
        ("-x y", QueryAnd((QueryNot(Word("x")), Word("y")))),
        ("!x", QueryNot(Word("x"))),
        ("a -(b OR c)", QueryAnd((Word("a"), QueryNot(QueryOr((Word("b"), Word("c"))))))),
        ('"chest pain"', Phrase("chest pain")),
        ('-"chest pain"', QueryNot(Phrase("chest pain"))),
        ("\u201cchest pain\u201d", Phrase("chest pain")),
        ("x-ray", Phrase("x-ray", quoted=False)),
        ("card*", Prefix("card")),
        ("and or not", QueryAnd((Word("and"), Word("or"), Word("not")))),
        ("03/04/1961", DateTerm(dt.date(1961, 3, 4))),
        ("DOB March 4, 1961", QueryAnd((Word("DOB"), DateTerm(dt.date(1961, 3, 4))))),
        ('"4 March 1961"', DateTerm(dt.date(1961, 3, 4))),
        ("class:lab_result", FieldFilter(term("doc_class", "lab_result"))),
        ("class:Lab_Result,referral", FieldFilter(term("doc_class", "lab_result", "referral"))),
        ("patient:0123", FieldFilter(term("patient", "123"))),
        ("source:FAX", FieldFilter(term("source", "fax"))),
        ("label:Urgent", FieldFilter(term("labels", "Urgent"))),
        ("status:review", FieldFilter(term("status", "review"))),
        ("chart:restricted", FieldFilter(term("chart", "restricted"))),
        ("id:4,5", FieldFilter(DocIds(frozenset({4, 5})))),
        ("date:2026-03-01..2026-03-31", FieldFilter(DateRange("doc_date", dt.date(2026, 3, 1), dt.date(2026, 3, 31)))),
        ("date:2026-02", FieldFilter(DateRange("doc_date", dt.date(2026, 2, 1), dt.date(2026, 2, 28)))),
        ("date:2025", FieldFilter(DateRange("doc_date", dt.date(2025, 1, 1), dt.date(2025, 12, 31)))),
        ("date:..03/15/2026", FieldFilter(DateRange("doc_date", None, dt.date(2026, 3, 15)))),
        ("received:2026-12..", FieldFilter(DateRange("received", dt.date(2026, 12, 1), None))),
        ('date:"March 1 2026..March 31 2026"', FieldFilter(DateRange("doc_date", dt.date(2026, 3, 1), dt.date(2026, 3, 31)))),
        ("note: 10:30", QueryAnd((Word("note"), Phrase("10:30", quoted=False)))),
        ("DOE, JANE A", QueryAnd((Word("DOE"), Word("JANE"), Word("A", initial=True)))),
        ("jane a. doe", QueryAnd((Word("jane"), Word("a", initial=True), Word("doe")))),
        ("hepatitis b", QueryAnd((Word("hepatitis"), Word("b")))),  # not a name: "b" is required
        ("", MatchEverything()),
        ("   ", MatchEverything()),
        ("*", MatchEverything()),
        ("* heart", Word("heart")),
    ],
)
def test_parse(typed: str, tree: object) -> None:
    assert parse_query(typed) == tree


@pytest.mark.parametrize(
    ("typed", "tree"),
    [
        ('"chest pain', Phrase("chest pain")),  # unclosed quote closes at the end
        ("((a b", QueryAnd((Word("a"), Word("b")))),  # unclosed brackets close at the end
        ("a ) b", QueryAnd((Word("a"), Word("b")))),  # a stray bracket is ignored
        ("AND heart OR", Word("heart")),  # stray operators are ignored
        ("heart NOT", Word("heart")),
        ("- heart", Word("heart")),
        ("heart ()", Word("heart")),
        ("heart!!! ???", Word("heart")),
    ],
)
def test_lenient_with_what_people_type(typed: str, tree: object) -> None:
    assert parse_query(typed) == tree


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("!!!", "nothing to search for"),
        ("AND OR NOT", "nothing to search for"),
        ("\U0001f600\U0001f600", "nothing to search for"),
        ("c*", "two letters"),
        ("class:", "needs a value"),
        ("patient:jane", "patient's number"),
        ("source:carrier", "source:fax"),
        ("status:lost", "status:review"),
        ("date:yesterday", "as a date"),
        ("date:2026-04..2026-03", "before it starts"),
        ("date:13/45/2026", "as a date"),
        ("x" * (MAX_QUERY_CHARS + 1), "too long"),
        ("(" * (MAX_DEPTH + 2) + "x", "nested too deeply"),
        ("NOT " * (MAX_DEPTH + 2) + "x", "nested too deeply"),
        (" ".join(f"w{i}" for i in range(80)), "too many words"),
    ],
)
def test_what_cannot_be_searched_says_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_query(typed)
    assert says.lower() in str(err.value).lower()
    assert err.value.remedy


_PIECES = st.sampled_from(
    ["(", ")", '"', "\u201c", "*", "-", "!", "AND", "OR", "NOT", "&&", "||", ":", "class:", "date:", "patient:",
     "source:fax", "date:2026-03..", "..", ",", ".", " ", "  ", "heart", "x-ray", "card*", "03/04/1961",
     "March 4 1961", "\U0001f600", "\u00e9", "\x00", "\t", "\n", "\\", "'", "<b>", "&", "a.", "DOE,"]
)
_TYPED = st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=40).map("".join))


@settings(max_examples=800, deadline=None)
@given(typed=_TYPED)
def test_any_input_parses_or_raises_a_usage_error(typed: str) -> None:
    try:
        tree = parse_query(typed)
    except UsageError as err:
        assert err.message and err.remedy
        return
    expand_synonyms(tree, load_synonyms())


def test_ten_kilobytes_of_junk_is_a_usage_error_not_a_crash() -> None:
    junk = "".join(chr(33 + (i * 7919) % 94) for i in range(10_240))
    with pytest.raises(UsageError):
        parse_query(junk)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=_TYPED)
def test_any_input_searches_or_raises_a_usage_error(corpus_index: SearchIndex, typed: str) -> None:
    try:
        results = corpus_index.search(typed, visible=MatchAll(), limit=5)
    except UsageError:
        return
    assert results.total >= len(results.hits)
