"""Spoken identifiers become the written forms the matching stage reads."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chartdesk.transcription import normalise_spoken, read_spoken


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        # as a person says it (and as a plain-words engine would write it)
        ("date of birth March fourth nineteen sixty-one", "date of birth March 4, 1961"),
        ("date of birth March fourth nineteen sixty one.", "date of birth March 4, 1961."),
        ("born the twenty-first of June two thousand and five", "born June 21, 2005"),
        ("date of birth January thirtieth nineteen fifty-five", "date of birth January 30, 1955"),
        ("date of birth July twenty second nineteen eighty-four", "date of birth July 22, 1984"),
        ("seen October ninth twenty twenty-one", "seen October 9, 2021"),
        ("born April first nineteen oh five", "born April 1, 1905"),
        ("M R N four five one two", "MRN 4512"),
        ("MRN double four five oh one.", "MRN 44501."),
        ("medical record number seven seven zero three one nine", "MRN 770319"),
        ("Smith S M I T H", "Smith"),
        ("Patient John Smith, S M I T H, date of birth", "Patient John Smith, date of birth"),
        ("Mary Kowalsky, K-O-W-A-L-S-K-I, was seen", "Mary Kowalski, was seen"),
        ("call five five five one two one two", "call 5551212"),
        # as Whisper writes it
        ("Date of birth March 4th, 1961.", "Date of birth March 4, 1961."),
        ("date of birth, March 4, 1961", "date of birth, March 4, 1961"),
        ("M.R.N. 451-2.", "MRN 4512."),
        ("MRN 4 5 1 2", "MRN 4512"),
        ("MRN 4, 5, 1, 2, seen today", "MRN 4512, seen today"),
        ("MRN 451 to. The patient", "MRN 4512. The patient"),
        ("Patient John Smith S.M.I.T.H. Date of birth", "Patient John Smith. Date of birth"),
        ("Thomas Nguyen, N-G-U-Y-E-N, MRN 770319", "Thomas Nguyen, MRN 770319"),
    ],
)
def test_spoken_forms_become_written(spoken: str, written: str) -> None:
    assert normalise_spoken(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "She may see us in May.",  # "may" the verb is not a month
        "MRN 4512 to the clinic",  # "to" after a full MRN is a word
        "MRN 4512, 45 years old",  # a number after a comma is not part of the MRN
        "Take one tablet at night, two in the morning.",
        "Return in three months.",
        "February 30, 1961 was typed by mistake",  # not a real date: left alone
        "blood pressure 140 over 90, pulse 72",
        "I am a doctor.",
    ],
)
def test_text_without_identifiers_is_left_alone(text: str) -> None:
    assert normalise_spoken(text) == text


def test_identifiers_are_returned_as_values() -> None:
    found = read_spoken(
        "Patient John Smith, S M I T H, date of birth March fourth nineteen sixty-one, "
        "M R N four five one two. Seen on June second twenty twenty-four."
    )
    assert found.text == (
        "Patient John Smith, date of birth March 4, 1961, MRN 4512. Seen on June 2, 2024."
    )
    assert found.dates_of_birth == (dt.date(1961, 3, 4),)
    assert found.dates == (dt.date(1961, 3, 4), dt.date(2024, 6, 2))
    assert found.mrns == ("4512",)
    assert found.spelled_names == ("Smith",)


def test_spelling_wins_over_a_misheard_name() -> None:
    """Given the model heard "Smyth" but the clinician spelled S M I T H,
    the spelling is what the chart is matched on."""
    assert normalise_spoken("Patient Smyth, S M I T H, seen today") == "Patient Smith, seen today"


def test_spelled_letters_without_a_matching_word_are_kept_as_a_word() -> None:
    found = read_spoken("The patient is S M I T H.")
    assert found.text == "The patient is SMITH."
    assert found.spelled_names == ("Smith",)


_ORDINARY = st.sampled_from(
    ["the", "patient", "reports", "feeling", "better", "today", "and", "has", "no", "chest", "pain", "with", "normal", "sleep", "blood", "pressure", "is", "stable", "continue", "current", "medication", "follow", "up", "in", "clinic"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ORDINARY, min_size=1, max_size=30), st.sampled_from([".", ",", ""]))
def test_ordinary_sentences_pass_through_unchanged(words: list[str], end: str) -> None:
    text = " ".join(words) + end
    assert normalise_spoken(text) == text
