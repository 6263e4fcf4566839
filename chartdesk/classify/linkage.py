"""Fellegi–Sunter comparison of a document's identifiers with one patient.

Each field compares at a level (exact, near, disagree, missing); a level weighs
log2(m/u): m is how often a true match shows that level, u how often a random
other patient does. Name weights use u = how common the name is (the
term-frequency adjustment: "Smith" agreeing says less than "Okonkwo"). The sum
of the weights and a prior of 1/N gives the probability that the patient is the
one the document is about.

The m and u values below are set from what the fields are like, not learned:
they are written out so a reviewer can follow every number in the evidence.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum

from chartdesk.classify.names import is_nickname_of, name_parts, similarity

M_NAME_EXACT = 0.92  # share of true matches whose family (or given) name agrees exactly
FUZZY_PENALTY = 3.0  # bits a close-but-not-equal name (OCR slip, typo) weighs less than an exact one
PART_PENALTY = 1.0  # bits: one part of a hyphenated name, or a previous name
NICKNAME_PENALTY = 2.0
W_FAMILY_DISAGREE = math.log2(0.03 / 0.99)
W_GIVEN_DISAGREE = math.log2(0.015 / 0.98)
W_INITIAL = 2.0  # given name written as an initial that agrees
W_DOB_EXACT = math.log2(0.97 / (1 / (365.25 * 80)))  # ~14.8: one birth date in 80 years of days
W_DOB_NEAR = 5.0  # transposed digits, month/day swapped, one digit misread
W_DOB_DISAGREE = math.log2(0.008 / 1.0)
W_MRN_EXACT = 16.0
W_MRN_DISAGREE = -5.0  # documents carry other systems' numbers now and then
W_PHONE_EXACT = 10.0
W_PHONE_DISAGREE = -1.0  # people change numbers
W_MEMBER_EXACT = 14.0
W_MEMBER_NEAR = 4.0  # same family policy, another dependant suffix
W_MEMBER_DISAGREE = -2.0
FUZZY_SIMILARITY = 0.90
GIVEN_FUZZY_SIMILARITY = 0.88


class Level(StrEnum):
    exact = "exact"
    part = "part"
    nickname = "nickname"
    near = "near"
    initial = "initial"
    disagree = "disagree"
    missing = "missing"


# Levels at which a field counts as an agreeing, independent identifier.
COUNTING = {
    "name": {Level.exact, Level.part, Level.nickname, Level.near},
    "dob": {Level.exact, Level.near},
    "mrn": {Level.exact},
    "phone": {Level.exact},
    "member_id": {Level.exact},
}


@dataclass(frozen=True, slots=True)
class FieldResult:
    level: Level
    weight: float

    def as_json(self) -> dict[str, object]:
        return {"level": str(self.level), "weight": round(self.weight, 2)}


MISSING = FieldResult(Level.missing, 0.0)


def name_weight(share: float) -> float:
    """Weight of an exact agreement on a name held by `share` of people."""
    return math.log2(M_NAME_EXACT / share)


def compare_family(doc: str, patient: str, share: float) -> FieldResult:
    exact = name_weight(share)
    if not doc or not patient:
        return MISSING
    if doc == patient:
        return FieldResult(Level.exact, exact)
    doc_parts, pat_parts = set(name_parts(doc)), set(name_parts(patient))
    if doc_parts & pat_parts or doc.replace("-", "") == patient.replace("-", ""):
        return FieldResult(Level.part, max(exact - PART_PENALTY, 1.0))
    if similarity(doc, patient) >= FUZZY_SIMILARITY:
        return FieldResult(Level.near, max(exact - FUZZY_PENALTY, 1.0))
    return FieldResult(Level.disagree, W_FAMILY_DISAGREE)


def compare_given(doc: str, patient: str, share: float) -> FieldResult:
    exact = name_weight(share)
    if not doc or not patient:
        return MISSING
    if doc == patient:
        return FieldResult(Level.exact, exact)
    if "-" in doc + patient and set(name_parts(doc)) & set(name_parts(patient)):
        return FieldResult(Level.part, max(exact - PART_PENALTY, 1.0))
    if len(doc) == 1:
        return FieldResult(Level.initial, W_INITIAL) if patient.startswith(doc) else FieldResult(Level.disagree, W_GIVEN_DISAGREE)
    if is_nickname_of(doc, patient):
        return FieldResult(Level.nickname, max(exact - NICKNAME_PENALTY, 1.0))
    if similarity(doc, patient) >= GIVEN_FUZZY_SIMILARITY:
        return FieldResult(Level.near, max(exact - FUZZY_PENALTY, 1.0))
    return FieldResult(Level.disagree, W_GIVEN_DISAGREE)


def _digits(d: dt.date) -> str:
    return f"{d.month:02d}{d.day:02d}{d.year:04d}"


def dates_near(a: dt.date, b: dt.date) -> bool:
    """One slip apart: adjacent digits transposed, month and day swapped, or one digit misread."""
    if (a.month, a.day) == (b.day, b.month) and a.year == b.year:
        return True
    x, y = _digits(a), _digits(b)
    diffs = [i for i in range(8) if x[i] != y[i]]
    if len(diffs) == 1:
        return True
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and x[diffs[0]] == y[diffs[1]] and x[diffs[1]] == y[diffs[0]]


def compare_dob(doc: dt.date | None, patient: dt.date | None) -> FieldResult:
    if doc is None or patient is None:
        return MISSING
    if doc == patient:
        return FieldResult(Level.exact, W_DOB_EXACT)
    if dates_near(doc, patient):
        return FieldResult(Level.near, W_DOB_NEAR)
    return FieldResult(Level.disagree, W_DOB_DISAGREE)


def compare_mrn(doc: str, patient_mrns: tuple[str, ...]) -> FieldResult:
    if not doc or not patient_mrns:
        return MISSING
    doc = doc.upper()
    if any(doc == m.upper() or doc.lstrip("0") == m.upper().lstrip("0") for m in patient_mrns):
        return FieldResult(Level.exact, W_MRN_EXACT)
    return FieldResult(Level.disagree, W_MRN_DISAGREE)


def compare_phone(doc: str, patient: str | None) -> FieldResult:
    if not doc or not patient:
        return MISSING
    if doc[-10:] == patient[-10:]:
        return FieldResult(Level.exact, W_PHONE_EXACT)
    return FieldResult(Level.disagree, W_PHONE_DISAGREE)


def compare_member(doc: str, patient_ids: tuple[str, ...]) -> FieldResult:
    if not doc or not patient_ids:
        return MISSING
    if doc in patient_ids:
        return FieldResult(Level.exact, W_MEMBER_EXACT)
    if any(len(p) >= 6 and (doc.startswith(p[:-2]) or p.startswith(doc[:-2])) for p in patient_ids):
        return FieldResult(Level.near, W_MEMBER_NEAR)
    return FieldResult(Level.disagree, W_MEMBER_DISAGREE)


def probability(weight: float, population: int) -> float:
    """Posterior that this patient is meant, with a prior of one patient in `population`."""
    prior = -math.log2(max(population, 2) - 1)
    x = weight + prior
    if x > 60:
        return 1.0
    return 1.0 / (1.0 + 2.0 ** (-x))
