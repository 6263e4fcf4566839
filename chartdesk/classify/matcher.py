"""Which patient a document is about: candidates, scores, and a cautious decision.

A document is attached without review only when all of these hold:
  - it names (or otherwise identifies) exactly one patient of the index;
  - the best candidate's probability is at least `auto_attach_probability`;
  - at least two independent identifiers agree (name, date of birth, MRN,
    phone, member id), and none of date of birth or MRN disagrees;
  - the second candidate is at least `min_margin_bits` behind;
  - no second patient could equally be meant (twins, same name and birth date).
Otherwise the document goes to review with its candidates and the evidence.
Identifiers of a subscriber, guarantor or clinician never count for the patient.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from chartdesk.classify.identifiers import PATIENT_ROLES, Extracted, Found, Kind, Role
from chartdesk.classify.linkage import (
    COUNTING,
    MISSING,
    FieldResult,
    Level,
    compare_dob,
    compare_family,
    compare_given,
    compare_member,
    compare_mrn,
    compare_phone,
    dates_near,
    probability,
)
from chartdesk.classify.names import is_nickname_of, name_key, soundex
from chartdesk.classify.patient_index import PatientIndex, PatientRecord

MATCHER_VERSION = "fs-1"


class Reason(StrEnum):
    unassigned = "unassigned"  # no patient named or identified
    no_candidate = "no_candidate"  # a patient is named but nobody in the index fits
    several_patients = "several_patients"  # the document names two or more patients
    too_few_identifiers = "too_few_identifiers"
    low_score = "low_score"
    close_second = "close_second"
    could_be_either = "could_be_either"  # twins, same name and birth date
    conflict = "conflict"  # a birth date or MRN disagrees with the best candidate
    class_uncertain = "class_uncertain"  # set by the match stage from the classifier


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    auto_attach_probability: float = 0.999
    min_margin_bits: float = 10.0
    show_candidates: int = 5
    candidate_floor_probability: float = 0.0001


@dataclass(frozen=True, slots=True)
class Candidate:
    patient_id: int
    weight: float
    probability: float
    fields: dict[str, FieldResult]

    @property
    def agreeing(self) -> tuple[str, ...]:
        return tuple(f for f, r in self.fields.items() if r.level in COUNTING.get(f, ()))

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(f for f in ("dob", "mrn") if self.fields.get(f, MISSING).level is Level.disagree)

    def evidence(self) -> dict[str, object]:
        return {f: r.as_json() for f, r in self.fields.items() if r.level is not Level.missing}


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    patient_id: int | None  # set only when the document is attached without review
    reasons: tuple[Reason, ...]
    candidates: tuple[Candidate, ...]
    named_patients: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def attached(self) -> bool:
        return self.patient_id is not None


# ---- what the document says about its patient ----


@dataclass(frozen=True, slots=True)
class Evidence:
    names: tuple[tuple[str, str], ...]  # (family_key, given_key)
    dobs: tuple[dt.date, ...]
    mrns: tuple[str, ...]
    phones: tuple[str, ...]
    members: tuple[str, ...]
    subscriber_as_patient: bool = False

    @property
    def empty(self) -> bool:
        return not (self.names or self.dobs or self.mrns or self.members)


def patient_evidence(found: Extracted, extra_names: Iterable[Found] = ()) -> Evidence:
    """The identifiers that may point at the patient (subscriber ones only if no patient is named)."""
    roles: set[Role] = set(PATIENT_ROLES)
    names = found.names(roles) + list(extra_names)
    promoted = not names and bool(found.names({Role.subscriber}))
    if promoted:
        roles.add(Role.subscriber)
        names = found.names(roles)

    def values(kind: Kind) -> list[Found]:
        return found.of(kind, roles)

    return Evidence(
        names=tuple(dict.fromkeys(_name_pair(f) for f in names)),
        dobs=tuple(dict.fromkeys(f.date for f in values(Kind.dob) if f.date)),
        mrns=tuple(dict.fromkeys(f.norm for f in values(Kind.mrn))),
        phones=tuple(dict.fromkeys(f.norm for f in values(Kind.phone))),
        members=tuple(dict.fromkeys(f.norm for f in values(Kind.member_id))),
        subscriber_as_patient=promoted,
    )


def _name_pair(f: Found) -> tuple[str, str]:
    family, given, _ = f.norm.split("|")
    return family, given


# ---- scoring ----


def _name_fields(names: tuple[tuple[str, str], ...], record: PatientRecord, index: PatientIndex) -> tuple[FieldResult, FieldResult]:
    best = (MISSING, MISSING)
    best_total = -1e9
    for fam, giv in names:
        for nk in record.names:
            for f_doc, g_doc, penalty in ((fam, giv, 0.0), (giv, fam, 1.0)):
                fr = compare_family(f_doc, nk.family, index.name_share("family", nk.family))
                gr = compare_given(g_doc, nk.given, index.name_share("given", nk.given))
                total = fr.weight + gr.weight - penalty - (0.5 if nk.kind == "previous" else 0.0)
                if total > best_total:
                    best, best_total = (fr, gr), total
    return best


def _best(results: Iterable[FieldResult]) -> FieldResult:
    results = list(results)
    return max(results, key=lambda r: r.weight) if results else MISSING


def _name_level(family: FieldResult, given: FieldResult) -> FieldResult:
    agree = {Level.exact, Level.part, Level.nickname, Level.near}
    if family.level is Level.missing and given.level is Level.missing:
        return MISSING
    if family.level in agree and given.level in agree:
        worst = Level.exact if {family.level, given.level} == {Level.exact} else Level.near
        return FieldResult(worst, family.weight + given.weight)
    return FieldResult(Level.disagree, family.weight + given.weight)


def score(evidence: Evidence, record: PatientRecord, index: PatientIndex) -> Candidate:
    family, given = _name_fields(evidence.names, record, index)
    fields = {
        "name": _name_level(family, given),
        "dob": _best(compare_dob(d, record.birth_date) for d in evidence.dobs),
        "mrn": _best(compare_mrn(m, record.mrns) for m in evidence.mrns),
        "phone": _best(compare_phone(p, record.phone) for p in evidence.phones),
        "member_id": _best(compare_member(m, record.member_ids) for m in evidence.members),
    }
    detail = {"family_name": family, "given_name": given}
    weight = sum(r.weight for r in fields.values())
    return Candidate(record.id, weight, probability(weight, len(index)), {**fields, **detail})


# ---- blocking: which patients to score at all ----


def candidate_ids(evidence: Evidence, index: PatientIndex) -> set[int]:
    ids: set[int] = set()
    families = list(index.by_family)
    for fam, giv in evidence.names:
        for key in (fam, giv):
            ids |= index.by_family.get(key, set())
            ids |= index.by_soundex.get(soundex(key), set())
            for hit, _score, _ in process.extract(key, families, scorer=JaroWinkler.normalized_similarity, limit=5, score_cutoff=0.88):
                ids |= index.by_family[hit]
    for dob in evidence.dobs:
        ids |= index.by_dob.get(dob, set())
        ids |= {pid for d in _near_dates(dob) for pid in index.by_dob.get(d, ())}
    for mrn in evidence.mrns:
        ids |= index.by_mrn.get(mrn.upper(), set()) | index.by_mrn.get(mrn.lstrip("0"), set())
    for member in evidence.members:
        ids |= index.by_member.get(member, set())
    for phone in evidence.phones:
        ids |= index.by_phone.get(phone, set())
    return ids


def _near_dates(d: dt.date) -> set[dt.date]:
    out: set[dt.date] = set()
    digits = d.strftime("%m%d%Y")
    variants = {digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:] for i in range(7)}
    variants |= {digits[:i] + c + digits[i + 1:] for i in range(8) for c in "0123456789"}
    variants.add(digits[2:4] + digits[:2] + digits[4:])
    for v in variants:
        try:
            out.add(dt.datetime.strptime(v, "%m%d%Y").date())
        except ValueError:
            continue
    out.discard(d)
    return {x for x in out if x.year >= 1890 and dates_near(x, d)}


# ---- names of index patients anywhere in the text ----

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9'’\-]+")
_CLINICIAN_BEFORE = {"dr", "doctor", "prof"}
_CLINICIAN_AFTER = {"md", "do", "np", "pa", "pa-c", "rn", "dnp", "fnp", "mbbs", "phd"}


def text_mentions(pages: list[str], index: PatientIndex, labelled: Extracted) -> list[Found]:
    """Index patients' names found anywhere in the text (a gazetteer), role `unknown`.

    Only full names (given and family together, in either order) count. A name
    also found under a label keeps that label's role (a clinician stays one).
    """
    known = {_name_pair(f) for f in labelled.of(Kind.name, set(Role))}
    found: list[Found] = []
    for page_no, text in enumerate(pages, start=1):
        words = [(name_key(m.group(0)), m.group(0)) for m in _WORD.finditer(text)]
        for i, (key, _) in enumerate(words):
            for pid in index.by_family.get(key, ()):
                hit = _given_beside(words, i, index.records[pid], key)
                if hit is None:
                    continue
                pair = (key, hit)
                if pair in known or _clinician_context(words, i):
                    continue
                known.add(pair)
                found.append(Found(Kind.name, Role.unknown, "", f"{key}|{hit}|", page_no, "text"))
    return found


def _given_beside(words: list[tuple[str, str]], i: int, record: PatientRecord, family: str) -> str | None:
    neighbours = [words[j][0] for j in (i - 1, i - 2, i + 1) if 0 <= j < len(words)]
    for nk in record.names:
        if family not in (nk.family, *nk.family.split("-")):
            continue
        for w in neighbours:
            if w and (w == nk.given or len(w) > 2 and is_nickname_of(w, nk.given)):
                return w
    return None


def _clinician_context(words: list[tuple[str, str]], i: int) -> bool:
    before = {words[j][0] for j in range(max(0, i - 3), i)}
    after = {words[j][0] for j in range(i + 1, min(len(words), i + 3))}
    return bool(before & _CLINICIAN_BEFORE or after & _CLINICIAN_AFTER)


# ---- the decision ----


def named_patients(names: Iterable[tuple[str, str]], index: PatientIndex) -> list[set[int]]:
    """For each distinct name, the index patients whose name agrees with it."""
    sets: list[set[int]] = []
    for fam, giv in dict.fromkeys(names):
        hits = set()
        ev = Evidence(((fam, giv),), (), (), (), ())
        for pid in candidate_ids(ev, index):
            f, g = _name_fields(((fam, giv),), index.records[pid], index)
            if _name_level(f, g).level in COUNTING["name"] and g.level is not Level.initial:
                hits.add(pid)
        sets.append(hits)
    return sets


def several_named(sets: list[set[int]]) -> bool:
    """Two names resolve to disjoint groups of patients: two people of the index are named."""
    nonempty = [s for s in sets if s]
    return any(not (a & b) for i, a in enumerate(nonempty) for b in nonempty[i + 1:])


def match(found: Extracted, pages: list[str], index: PatientIndex, policy: MatchPolicy) -> MatchOutcome:
    extra = text_mentions(pages, index, found)
    evidence = patient_evidence(found, extra)
    if evidence.empty:
        return MatchOutcome(None, (Reason.unassigned,), ())
    sets = named_patients(evidence.names, index)
    ranked = sorted((score(evidence, index.records[pid], index) for pid in candidate_ids(evidence, index)),
                    key=lambda c: -c.weight)
    shown = tuple(c for c in ranked[: policy.show_candidates] if c.probability >= policy.candidate_floor_probability)
    named = tuple(sorted(set().union(*sets))) if sets else ()
    if not ranked:
        return MatchOutcome(None, (Reason.no_candidate,), (), named)
    reasons = _review_reasons(ranked, sets, policy)
    notes = ("subscriber_as_patient",) if evidence.subscriber_as_patient else ()
    if reasons:
        return MatchOutcome(None, reasons, shown or tuple(ranked[:1]), named, notes)
    return MatchOutcome(ranked[0].patient_id, (), shown, named, notes)


def _review_reasons(ranked: list[Candidate], sets: list[set[int]], policy: MatchPolicy) -> tuple[Reason, ...]:
    best = ranked[0]
    second = ranked[1] if len(ranked) > 1 else None
    reasons: list[Reason] = []
    if several_named(sets):
        reasons.append(Reason.several_patients)
    if len(best.agreeing) < 2:
        reasons.append(Reason.too_few_identifiers)
    if best.conflicts:
        reasons.append(Reason.conflict)
    if best.probability < policy.auto_attach_probability:
        reasons.append(Reason.low_score)
    if second is not None:
        if len(second.agreeing) >= 2 and not _clearly_other(best, second):
            reasons.append(Reason.could_be_either)
        elif best.weight - second.weight < policy.min_margin_bits:
            reasons.append(Reason.close_second)
    return tuple(dict.fromkeys(reasons))


def _clearly_other(best: Candidate, second: Candidate) -> bool:
    """The second candidate agrees on two identifiers too (twins: family name and birth date).

    It is still clearly someone else when the best agrees on more identifiers and
    the second disagrees outright on one the best agrees on (a twin's given name).
    """
    given_best = best.fields.get("given_name", MISSING).level
    given_second = second.fields.get("given_name", MISSING).level
    if given_best in {Level.exact, Level.nickname} and given_second is Level.disagree:
        return True
    strong = {"mrn", "member_id"}
    return bool(strong & set(best.agreeing)) and not strong & set(second.agreeing)
