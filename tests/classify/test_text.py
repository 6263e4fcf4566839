"""Dates, names and identifiers read from plain text, as OCR and transcripts write them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from chartdesk.classify import (
    DateKind,
    Kind,
    Role,
    document_date,
    extract,
    find_dates,
    parse_name,
    read_cover,
)
from chartdesk.classify.identifiers import _LABEL_ALTERNATIVES, _LABELS, Formats
from chartdesk.classify.names import name_key
from tests.gen.documents import KINDS, make_document

D = dt.date
TODAY = D(2025, 6, 1)


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("DOB: 03/04/1961", DateKind.birth, D(1961, 3, 4)),
    ("DOB 3-4-61", DateKind.birth, D(1961, 3, 4)),
    ("DOB 3-4-19", DateKind.birth, D(2019, 3, 4)),
    ("DOB 3-4-31", DateKind.birth, D(1931, 3, 4)),
    ("seen 3/4/25", DateKind.document, D(2025, 3, 4)),
    ("Born 4th of March 1961", DateKind.birth, D(1961, 3, 4)),
    ("date of birth March 4, 1961", DateKind.birth, D(1961, 3, 4)),
    ("March the fourth nineteen sixty-one", DateKind.birth, D(1961, 3, 4)),
    ("January twenty-second two thousand and five", DateKind.birth, D(2005, 1, 22)),
    ("DOB: O3/O4/l96l", DateKind.birth, D(1961, 3, 4)),
    ("Marcn 4, 1961", DateKind.birth, D(1961, 3, 4)),
    ("25/12/2020", DateKind.document, D(2020, 12, 25)),
    ("2023-11-02", DateKind.document, D(2023, 11, 2)),
    ("Dec 25 '98", DateKind.birth, D(1998, 12, 25)),
])
def test_dates_in_every_common_format(text: str, kind: DateKind, expected: dt.date) -> None:
    found = find_dates(text, kind=kind, today=TODAY)
    assert [f.value for f in found] == [expected]


def test_numbers_that_are_not_dates() -> None:
    assert find_dates("Potassium 12.5-3.4 mmol/L   Tel 555-123-4567   MRN 4512", today=TODAY) == []


@pytest.mark.parametrize(("text", "family", "given", "clinician"), [
    ("DOE, JANE A", "DOE", "JANE", False),
    ("Mrs. Jane A. Doe", "Doe", "Jane", False),
    ("Dr. John Smith, MD", "Smith", "John", True),
    ("Maria de la Cruz", "de la Cruz", "Maria", False),
    ("Mary-Kate O'Brien-Smith", "O'Brien-Smith", "Mary-Kate", False),
    ("___Jane Doe___", "Doe", "Jane", False),
    ("Smith Jr., John", "Smith", "John", False),
])
def test_name_layouts(text: str, family: str, given: str, clinician: bool) -> None:  # noqa: FBT001 - parametrised
    name = parse_name(text)
    assert name is not None and (name.family, name.given, name.clinician) == (family, given, clinician)


def test_form_words_are_not_names() -> None:
    assert parse_name("Patient Name") is None
    assert parse_name("Lab Report") is None


def _items(text: str) -> set[tuple[str, str, str]]:
    return {(str(f.kind), str(f.role), f.norm) for f in extract([text], Formats(), today=TODAY).items}


def test_lab_header_with_ocr_slips() -> None:
    text = "Patient Name: D0E, JANE    D.O.B.: O3/O4/l96l   Medical Record #: 4S12\nOrdering Physician: Dr. Robert Smith, MD"
    items = _items(text)
    assert ("name", "patient", "doe|jane|") in items
    assert ("dob", "patient", "1961-03-04") in items
    assert ("mrn", "patient", "4512") in items
    assert ("name", "clinician", "smith|robert|") in items


def test_dependant_insurance_card_keeps_subscriber_apart() -> None:
    text = ("Subscriber: JOHN DOE\nSubscriber DOB: 05/05/1955\nMember: JANE DOE\nDOB 01/02/1960\n"
            "Member ID: XYZ123456-02\nGroup #: 88812")
    found = extract([text], Formats(), today=TODAY)
    assert {f.norm for f in found.of(Kind.name)} == {"doe|jane|"}
    assert {f.norm for f in found.of(Kind.dob)} == {"1960-01-02"}
    assert {f.norm for f in found.of(Kind.name, {Role.subscriber})} == {"doe|john|"}
    assert {f.norm for f in found.of(Kind.dob, {Role.subscriber})} == {"1955-05-05"}
    assert {f.norm for f in found.of(Kind.member_id)} == {"XYZ12345602"}


def test_a_name_is_shown_without_the_punctuation_that_ends_it() -> None:
    found = extract(["Re: Renée Ivanova, Date of Birth 09/09/2004, MRN 0031599"], Formats(), today=TODAY)
    assert [(f.value, f.norm) for f in found.of(Kind.name)] == [("Renée Ivanova", "ivanova|renee|")]


def test_letter_and_form_layouts() -> None:
    assert ("name", "patient", "doe|jane|") in _items("Re: Jane Doe   DOB March 4, 1961")
    assert ("name", "unknown", "doe|jane|") in _items("Name ___Jane Doe___  Date of Birth __3/4/61__")
    assert ("dob", "unknown", "1961-03-04") in _items("Name ___Jane Doe___  Date of Birth __3/4/61__")
    assert ("name", "patient", "delacruz|maria|") in _items("I, Maria de la Cruz, hereby authorize Valley Clinic to release")
    assert ("name", "clinician", "lee|anna|") in _items("Sincerely,\nAnna Lee, MD")


def test_transcript_identifiers_in_written_form() -> None:
    """The transcription room writes spoken identifiers as 'MRN 4512' and 'date of birth March 4, 1961'."""
    text = "this is doctor smith dictating a progress note on Jane Doe, date of birth March 4, 1961, MRN 4512. She is well."
    items = _items(text)
    assert ("name", "patient", "doe|jane|") in items
    assert ("dob", "unknown", "1961-03-04") in items
    assert ("mrn", "unknown", "4512") in items


def test_office_mrn_format_is_configurable() -> None:
    formats = Formats(mrn_patterns=(r"[A-Z]{2}[0-9]{6}",))
    found = extract(["MRN: AB123456   Chart #: 4512"], formats, today=TODAY)
    assert [f.norm for f in found.of(Kind.mrn)] == ["AB123456"]


def test_phone_numbers_with_labels() -> None:
    items = _items("Home Phone: (555) 2O1-9988\nFax: 555-201-3345")
    assert ("phone", "unknown", "5552019988") in items
    assert not any(i[2] == "5552013345" for i in items)


def test_document_date_prefers_the_labelled_date_over_birth_and_received() -> None:
    text = "Valley Lab\nPatient: DOE, JANE  DOB: 03/04/1961\nCollected: 11/02/2023\nReported: 11/03/2023\nPrinted 2024-01-05"
    got = document_date([text], received=D(2024, 1, 10), birth_dates={D(1961, 3, 4)})
    assert got is not None and (got.value, got.rank, got.label) == (D(2023, 11, 2), 1, "collected")


def test_letter_date_on_its_own_line_and_no_future_dates() -> None:
    text = "Sunrise Clinic\nMarch 5, 2024\n\nRe: Jane Doe DOB 3/4/61\nPlease see her before 12/01/2030."
    got = document_date([text], received=D(2024, 3, 9), birth_dates={D(1961, 3, 4)})
    assert got is not None and got.value == D(2024, 3, 5)


def test_fax_cover_details() -> None:
    cover = read_cover("FAX COVER SHEET\nTo: Dr. Anna Lee   Fax: 555-111-2222\nFrom: Valley Clinic\nNumber of pages (including cover): 4")
    assert (cover.sender, cover.recipient, cover.stated_pages) == ("Valley Clinic", "Dr. Anna Lee", 4)


def _label_hits(pattern: re.Pattern[str], line: str) -> list[tuple[object, ...]]:
    return [(m.span(), m.lastgroup, m.groups()) for m in pattern.finditer(line)]


def test_label_scan_finds_what_the_plain_alternation_finds() -> None:
    """Given the lines of generated documents of every kind (as written, upper and lower
    case) and labels glued to words, when the label pattern with its fast start scans
    them, then every match (span, label, groups) is the plain alternation's."""
    plain = re.compile(_LABEL_ALTERNATIVES, re.IGNORECASE)
    lines = [line for kind in KINDS for seed in range(6) for line in make_document(kind, seed).text.splitlines()]
    lines += [line.upper() for line in lines] + [line.lower() for line in lines]
    lines += ["Xcell: 555 123 4567", "excellent mobile: (555) 123-4567", "homephone 5551234567", "1DOB:01/02/1960 MRN#12345",
              "Pt. name: DOE, JANE   Sex: F", "Dr.Smith, Re: Jane Doe", "\tPatient/Member: Ann Lee", "ſex: F  Kelvin: K"]
    assert [_label_hits(_LABELS, line) for line in lines] == [_label_hits(plain, line) for line in lines]


def test_cell_or_mobile_inside_a_word_is_not_a_phone_label() -> None:
    assert _items("Xcell: 555 123 4567") == set() and _items("Excellent mobile-friendly site: 555 123 4567") == set()
    assert _items("Cell: (555) 123-4567") == {("phone", "unknown", "5551234567")}
    assert _items("Patient mobile: 555.123.4567") == {("phone", "unknown", "5551234567")}


def test_name_keys_are_cached_without_changing_them() -> None:
    """name_key is a pure function of its text, cached so a document's words are keyed
    once: the cache holds nothing about patients, so a roster change cannot make it stale;
    it gives what the uncached function gives, and it is bounded."""
    words = ["O'Brien", "OBrien", "D0E", "José", "Smith-Jones", "  van der Berg ", "Ætna", "", "---", "Mc'Donald", "O'BRIEN"]
    uncached = name_key.__wrapped__
    assert [name_key(w) for w in words] == [uncached(w) for w in words]
    assert [name_key(w) for w in words] == [uncached(w) for w in words]  # second time, from the cache
    assert name_key.cache_info().hits >= len(words)
    assert name_key.cache_info().maxsize is not None
