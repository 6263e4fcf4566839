"""Normalisation shared by indexing and querying: dates, names, OCR folding, synonyms."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chartdesk.errors import ConfigError
from chartdesk.index import (
    Phrase,
    QueryAnd,
    QueryOr,
    Word,
    expand_synonyms,
    expand_year,
    find_dates,
    load_synonyms,
    normalise_date,
    normalise_name,
    ocr_fold,
    parse_query,
)

MARCH_4_1961 = dt.date(1961, 3, 4)
FORMS = [
    "03/04/1961", "3/4/1961", "3/4/61", "03-04-1961", "1961-03-04", "1961/3/4",
    "March 4 1961", "March 4, 1961", "Mar. 4, 1961", "Mar 4th, 1961", "MARCH 4 1961",
    "4 March 1961", "4th of March 1961", "04MAR1961", "04-Mar-1961", "4-MAR-61", "04mar61",
]


@pytest.mark.parametrize("form", FORMS)
def test_every_written_form_reads_as_the_same_date(form: str) -> None:
    assert normalise_date(form) == MARCH_4_1961
    [found] = find_dates(f"DOB: {form}. Seen today.")
    assert found.value == MARCH_4_1961


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(FORMS[::3], 2)))
def test_any_form_equals_any_other(a: str, b: str) -> None:
    assert normalise_date(a) == normalise_date(b)


@pytest.mark.parametrize("text", ["13/45/2020", "2/30/2020", "12/2026", "March 1961", "1961", "4 March", "v2.3.4", "123/456/7890", "ab03/04/1961"])
def test_things_that_are_not_dates(text: str) -> None:
    assert normalise_date(text) is None
    assert find_dates(text) == []


def test_two_digit_years_pivot_on_this_year() -> None:
    today = dt.date(2026, 11, 26)
    assert expand_year("26", today=today) == 2026
    assert expand_year("00", today=today) == 2000
    assert expand_year("27", today=today) == 1927
    assert expand_year("61", today=today) == 1961
    assert expand_year("1961", today=today) == 1961
    assert normalise_date("3/4/19", today=today) == dt.date(2019, 3, 4)


def test_dates_in_running_text_do_not_overlap() -> None:
    text = "Seen 3/4/26; DOB March 4, 1961 (04MAR1961), next visit 2026-12-01."
    values = [m.value for m in find_dates(text, today=dt.date(2026, 11, 26))]
    assert values == [dt.date(2026, 3, 4), MARCH_4_1961, MARCH_4_1961, dt.date(2026, 12, 1)]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_round_trip_of_generated_dates(value: dt.date) -> None:
    month = value.strftime("%B")
    for form in (value.isoformat(), f"{value.month}/{value.day}/{value.year}", f"{month} {value.day}, {value.year}",
                 f"{value.day} {month[:3]} {value.year}", value.strftime("%d%b%Y").upper()):
        assert normalise_date(form) == value


@pytest.mark.parametrize("written", ["DOE, JANE A", "Jane A. Doe", "jane a doe", "  Doe ,  Jane   A. "])
def test_names_however_written(written: str) -> None:
    assert normalise_name(written) == ("jane", "a", "doe")


def test_accents_fold_in_names() -> None:
    assert normalise_name("Núñez, José") == ("jose", "nunez")


@pytest.mark.parametrize(("noisy", "clean"), [("hemog1obin", "hemoglobin"), ("hernoglobin", "hemoglobin"), ("c0ngestive", "congestive"), ("fai1ure", "failure"), ("5odium", "sodium"), ("vvheeze", "wheeze")])
def test_ocr_confusions_fold_together(noisy: str, clean: str) -> None:
    assert ocr_fold(noisy) == ocr_fold(clean)


def test_numbers_are_not_folded() -> None:
    assert ocr_fold("1961") == "1961"
    assert ocr_fold("1961") != ocr_fold("l96l")


def test_builtin_synonyms_cover_the_required_groups() -> None:
    synonyms = load_synonyms()
    assert len(synonyms) >= 40
    for a, b in [("hba1c", "hemoglobin a1c"), ("a1c", "hba1c"), ("mi", "heart attack"), ("cxr", "chest x ray"),
                 ("bp", "blood pressure"), ("chf", "congestive heart failure"), ("copd", "chronic obstructive pulmonary disease"),
                 ("dm", "diabetes mellitus"), ("htn", "hypertension"), ("uti", "urinary tract infection"),
                 ("cbc", "complete blood count"), ("bmp", "basic metabolic panel"), ("cmp", "comprehensive metabolic panel"),
                 ("tsh", "thyroid stimulating hormone"), ("ekg", "ecg"), ("ecg", "electrocardiogram")]:
        group = synonyms.group_of(tuple(a.split()))
        assert group is not None and tuple(b.split()) in group, (a, b)


def test_expansion_keeps_what_was_typed_and_adds_the_other_forms() -> None:
    tree = expand_synonyms(parse_query("heart attack at home"), load_synonyms())
    assert isinstance(tree, QueryAnd)
    first = tree.parts[0]
    assert isinstance(first, QueryOr)
    assert first.parts[0] == QueryAnd((Word("heart"), Word("attack")))
    assert Word("mi") in first.parts and Phrase("myocardial infarction") in first.parts
    assert tree.parts[1:] == (Word("at"), Word("home"))


def test_local_synonyms_file(tmp_path: Path) -> None:
    extra = tmp_path / "syn.txt"
    extra.write_text("# our clinic\nDr. Who, the doctor  # inline comment\n\n", encoding="utf-8")
    synonyms = load_synonyms(extra)
    assert synonyms.group_of(("dr", "who")) == (("dr", "who"), ("the", "doctor"))


@pytest.mark.parametrize("content", ["lonely\n", "a, b, c d e f g h i\n"])
def test_a_bad_synonyms_file_is_a_config_error_with_its_line(tmp_path: Path, content: str) -> None:
    extra = tmp_path / "syn.txt"
    extra.write_text("ok, fine\n" + content, encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        load_synonyms(extra)


def test_a_missing_synonyms_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="synonyms_file"):
        load_synonyms(tmp_path / "absent.txt")
