"""Patient identifiers in plain text: names, dates of birth, MRNs, phones, member ids.

The input is text per page, as OCR or the transcription stage wrote it (spoken
identifiers already normalised to written forms: "MRN 4512", "date of birth
March 4, 1961"). Every identifier found carries the role it plays in the
document, read from its label and the block it sits in:

  patient     the person the document is about ("Patient:", "Re:", "Member:")
  subscriber  the insurance subscriber, policy holder or guarantor
  clinician   a doctor, nurse or other provider ("Dr.", "MD", "Ordering physician")
  other       a relative, witness, sender or recipient
  unknown     found without a telling label

Only patient and unknown identifiers can point at the patient; the matcher
decides what to do with the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from chartdesk.classify.dates import DateKind, find_dates
from chartdesk.classify.names import PersonName, parse_name


class Role(StrEnum):
    patient = "patient"
    subscriber = "subscriber"
    clinician = "clinician"
    other = "other"
    unknown = "unknown"


class Kind(StrEnum):
    name = "name"
    dob = "dob"
    mrn = "mrn"
    phone = "phone"
    member_id = "member_id"


PATIENT_ROLES = frozenset({Role.patient, Role.unknown})


@dataclass(frozen=True, slots=True)
class Found:
    kind: Kind
    role: Role
    value: str  # as written
    norm: str  # comparison form: name "family|given|middle", dob ISO, digits for mrn/phone
    page_no: int | None = None
    label: str = ""
    name: PersonName | None = None
    date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    items: tuple[Found, ...]

    def of(self, kind: Kind, roles: Iterable[Role] = PATIENT_ROLES) -> list[Found]:
        wanted = set(roles)
        return [f for f in self.items if f.kind is kind and f.role in wanted]

    def names(self, roles: Iterable[Role] = PATIENT_ROLES) -> list[Found]:
        return self.of(Kind.name, roles)

    @property
    def names_a_person(self) -> bool:
        return bool(self.of(Kind.name, PATIENT_ROLES | {Role.subscriber}))


@dataclass(frozen=True, slots=True)
class Formats:
    """The office's identifier formats (from settings.match)."""

    mrn_patterns: tuple[str, ...] = (r"[0-9]{4,10}",)
    member_id_pattern: str = r"[A-Z0-9]{2,4}[A-Z0-9-]{3,16}"


# ---- labels ----

_SEP = r"\s*(?:[:#]|no\.|\.{2,}|_{2,})\s*"
_NAME_LABELS: list[tuple[str, Role]] = [
    (r"(?:patient|pt)(?:'s)?\s*(?:full\s*|legal\s*)?name", Role.patient),
    (r"name\s+of\s+(?:the\s+)?patient", Role.patient),
    (r"patient\s*/\s*member", Role.patient),
    (r"(?:member|dependent|dependant|beneficiary|enrollee)(?:'s)?\s*(?:full\s*)?(?:name)?", Role.patient),
    (r"patient|pt\.?|client|resident|re|regarding|subject|claimant|for\s+patient", Role.patient),
    (r"(?:primary\s+)?(?:subscriber|policy\s*holder|policyholder|insured|guarantor|cardholder|responsible\s+party|employee)(?:'s)?\s*(?:full\s*)?(?:name)?", Role.subscriber),
    (r"(?:ordering|referring|attending|primary\s*care|rendering|treating|consulting|reading|admitting|discharging|interpreting|performing|requesting|signing)\s*(?:physician|provider|doctor|clinician|practitioner|radiologist|pathologist|md)?", Role.clinician),
    (r"physician|provider|prescriber|radiologist|pathologist|doctor|pcp|clinician|practitioner|nurse|author|dictated\s+by|transcribed\s+by|electronically\s+signed\s+by|signed\s+by|reviewed\s+by|verified\s+by|referred\s+(?:by|to)|cc|attn|attention|dear|to|from|sender|recipient", Role.clinician),
    (r"emergency\s+contact|next\s+of\s+kin|spouse|mother|father|parent(?:/guardian)?|guardian|witness|interpreter|authorized\s+representative|representative|requested\s+by|requester|requestor|release\s+to|send\s+(?:records\s+)?to", Role.other),
    (r"name", Role.unknown),
]
_ROLE_PREFIX = r"(?:(subscriber|insured|guarantor|policy\s*holder|patient|member|dependent|mother|father|spouse)(?:'s)?\s*)?"
_DOB_LABEL = _ROLE_PREFIX + r"(?:d\s?\.?\s?[o0]\s?\.?\s?[b8]\.?|date\s+of\s+birth|birth\s*date|birthdate|born(?:\s+on)?)"
_MRN_LABEL = r"(?:m\.?\s?r\.?\s?n\.?|medical\s+record\s*(?:number|no\.?|#)?|med\.?\s*rec(?:ord)?\.?\s*(?:#|no\.?|number)?|chart\s*(?:#|no\.?|number|id)|patient\s*(?:id|#|number|no\.?)|mr\s*#|record\s*(?:#|no\.?|number))"
_MEMBER_LABEL = r"(?:(subscriber|policy(?:holder)?|group)\s*)?(?:member\s*(?:id|#|number|no\.?)|id\s*(?:#|no\.?|number)?|identification\s*(?:number|#|no\.?)|insurance\s*(?:id|#|number)|ins\.?\s*id|policy\s*(?:#|no\.?|number|id))"
_PHONE_LABEL = r"(?:(?:home|cell|mobile|work|day(?:time)?|evening|patient|contact|primary)?\s*(?:phone|tel(?:ephone)?|ph)\.?\s*(?:#|no\.?|number)?|cell|mobile)"
_STOP_LABEL = r"(?:sex|gender|age|date(?:\s+of\s+(?:service|visit|report|exam))?|dos|acct|account\s*(?:#|no\.?|number)?|visit|room|group(?:\s*(?:#|no\.?|number))?|plan|claim|fax|address|ssn|rx\s*bin|bin|pcn|copay|email|e-mail|effective|issued|npi|dea|location|unit|accession|specimen|collected|received|reported)"

_LABEL_ALTERNATIVES = "|".join(
    [f"(?P<dob>(?<![a-z]){_DOB_LABEL})(?:{_SEP}|\\s+)"]
    + [f"(?P<mrn>(?<![a-z]){_MRN_LABEL})(?:{_SEP}|\\s+)(?=\\S*\\d)"]
    + [f"(?P<member>(?<![a-z]){_MEMBER_LABEL})(?:{_SEP}|\\s+)(?=\\S*\\d)"]
    + [f"(?P<phone>(?<![a-z]){_PHONE_LABEL})(?:{_SEP}|\\s+)(?=[\\s(]*\\d)"]
    + [f"(?P<name{i}>(?<![a-z])(?:{pat})){_SEP}" for i, (pat, _) in enumerate(_NAME_LABELS)]
    + [f"(?P<stop>(?<![a-z]){_STOP_LABEL}){_SEP}"]
)
# Every alternative starts where no letter precedes, on a letter or a space. Saying so
# once, up front, passes a position inside a word or on a digit with one test instead of
# one per alternative: the same matches (tests/classify/test_text.py compares them),
# about twice as fast.
_LABELS = re.compile(r"(?<![a-z])(?=[a-z\s])(?:" + _LABEL_ALTERNATIVES + ")", re.IGNORECASE)
_ROLE_WORDS = {
    "subscriber": Role.subscriber, "insured": Role.subscriber, "guarantor": Role.subscriber,
    "policy holder": Role.subscriber, "policyholder": Role.subscriber, "patient": Role.patient,
    "member": Role.patient, "dependent": Role.patient, "mother": Role.other, "father": Role.other,
    "spouse": Role.other, "policy": Role.subscriber,
}

# Names in running text (letters, dictations, consent forms).
_CAP = r"[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’\-]+"
_NAME_RUN = rf"({_CAP}(?:\s+[A-Z]\.?)?(?:\s+(?:de|del|la|van|von|der|da|di|le)){{0,2}}\s+{_CAP}(?:-{_CAP})?)"
_FREE_TEXT: list[tuple[re.Pattern[str], Role]] = [
    (re.compile(rf"\b(?:your|our|my|the|mutual|this)\s+patient,?\s+{_NAME_RUN}"), Role.patient),
    (re.compile(rf"\b[Pp]atient\s+{_NAME_RUN}"), Role.patient),
    (re.compile(rf"\b(?:on|for|regarding|concerning|about|seen|saw|of)\s+{_NAME_RUN},?\s+(?:date of birth|DOB|D\.O\.B\.|born|who|a\s+\d+|an?\s+\w+[- ]year)"), Role.patient),
    (re.compile(rf"\bI,\s+{_NAME_RUN},?\s+(?:hereby|authorize|consent|give|request|understand|agree|do\b)"), Role.patient),
    (re.compile(rf"\b(?:Mr|Mrs|Ms|Miss)\.?\s+{_NAME_RUN}"), Role.unknown),
    (re.compile(rf"\b(?:Dr|Doctor)\.?\s+{_NAME_RUN}"), Role.clinician),
    (re.compile(rf"{_NAME_RUN},?\s+(?:M\.?D\.?|D\.?O\.?|N\.?P\.?|PA-C|R\.?N\.?|DNP|FNP|MBBS)\b"), Role.clinician),
]

_PHONE = re.compile(r"\(?\s*([0-9OoIlSB]{3})\s*\)?[\s.\-]*([0-9OoIlSB]{3})[\s.\-]*([0-9OoIlSB]{4})(?![0-9])")
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1",
                            "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "G": "6"})
_VALUE_END = re.compile(r"\s{3,}|\t|\||;")


def extract(pages: Sequence[str], formats: Formats | None = None, *, today: dt.date | None = None) -> Extracted:
    """Identifiers in the pages of one document (page 1 first)."""
    formats = formats or Formats()
    items: list[Found] = []
    for page_no, text in enumerate(pages, start=1):
        items.extend(_labelled(text, page_no, formats, today))
        items.extend(_free_text(text, page_no))
    return Extracted(tuple(_dedupe(items)))


def _dedupe(items: list[Found]) -> list[Found]:
    seen: dict[tuple[Kind, Role, str], Found] = {}
    for item in items:
        seen.setdefault((item.kind, item.role, item.norm), item)
    return list(seen.values())


def _labelled(text: str, page_no: int, formats: Formats, today: dt.date | None) -> list[Found]:
    found: list[Found] = []
    context = Role.unknown
    for line in text.splitlines():
        if not line.strip():
            context = Role.unknown
            continue
        matches = list(_LABELS.finditer(line))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            value = _VALUE_END.split(line[m.end():end].replace("_", " "), maxsplit=1)[0].strip()
            item, context = _read_label(m, value, context, page_no, formats, today)
            if item is not None:
                found.append(item)
    return found


def _read_label(m: re.Match[str], value: str, context: Role, page_no: int, formats: Formats,
                today: dt.date | None) -> tuple[Found | None, Role]:
    group = m.lastgroup or ""
    label = m.group(group).strip().lower()
    if group.startswith("name"):
        role = _NAME_LABELS[int(group[4:])][1]
        role = _refine_name_role(label, role)
        item = _name_item(value, role, page_no, label)
        return item, (item.role if item else role)
    role = _prefix_role(m, context)
    if group == "dob":
        return _dob_item(value, role, page_no, label, today), context
    if group == "mrn":
        return _mrn_item(value, role, page_no, label, formats), context
    if group == "member":
        return _member_item(value, role, page_no, label, formats), context
    if group == "phone":
        return _phone_item(value, role, page_no, label), context
    return None, context


def _refine_name_role(label: str, role: Role) -> Role:
    if role is Role.clinician and label in {"to", "from", "sender", "recipient", "attn", "attention", "cc"}:
        return Role.other
    return role


def _prefix_role(m: re.Match[str], context: Role) -> Role:
    prefix = next((g for g in m.groups() if g and g.lower() in _ROLE_WORDS), None)
    if prefix is None:
        label = (m.group(m.lastgroup or 0) or "").lower()
        prefix = next((w for w in _ROLE_WORDS if label.startswith(w)), None)
    return _ROLE_WORDS.get(prefix.lower(), context) if prefix else context


def _name_item(value: str, role: Role, page_no: int, label: str) -> Found | None:
    value = re.split(r"\s*\(|\s+\d|\s+[A-Za-z]+\s*:", value, maxsplit=1)[0].strip(" _")
    name = parse_name(value)
    if name is None:
        return None
    if name.clinician:
        role = Role.clinician
    return _name_found(name, role, page_no, label, value)


def _name_found(name: PersonName, role: Role, page_no: int, label: str, value: str) -> Found:
    from chartdesk.classify.names import name_key

    norm = f"{name.family_key}|{name.given_key}|{name_key(name.middle)}"
    shown = value.strip().rstrip(",;:-").rstrip()  # "Re: Jane Doe, DOB ...": the comma is not the name's
    return Found(Kind.name, role, shown, norm, page_no, label, name=name)


def _dob_item(value: str, role: Role, page_no: int, label: str, today: dt.date | None) -> Found | None:
    dates = find_dates(value[:40], kind=DateKind.birth, today=today)
    if not dates:
        return None
    date = dates[0].value
    if date > (today or dt.date.today()) or date.year < 1890:
        return None
    return Found(Kind.dob, role, value[dates[0].start:dates[0].end], date.isoformat(), page_no, label, date=date)


def _first_token(value: str) -> str:
    token = re.split(r"\s{2,}|[,;]|\s(?=[A-Za-z]{3,})", value.strip(), maxsplit=1)[0]
    return token.replace(" ", "")


def _mrn_item(value: str, role: Role, page_no: int, label: str, formats: Formats) -> Found | None:
    token = _first_token(value).strip(".:#")
    for candidate in (token, token.upper().translate(_DIGIT_FIX)):
        if any(re.fullmatch(p, candidate) for p in formats.mrn_patterns):
            return Found(Kind.mrn, role, token, candidate, page_no, label)
    return None


def member_norm(value: str) -> str:
    return re.sub(r"[\s\-]", "", value.upper())


def _member_item(value: str, role: Role, page_no: int, label: str, formats: Formats) -> Found | None:
    token = _first_token(value).strip(".:#").upper()
    if not re.fullmatch(formats.member_id_pattern, token) or not any(c.isdigit() for c in token):
        return None
    return Found(Kind.member_id, role, token, member_norm(token), page_no, label)


def _phone_item(value: str, role: Role, page_no: int, label: str) -> Found | None:
    m = _PHONE.search(value[:24])
    if m is None:
        return None
    digits = "".join(m.groups()).translate(_DIGIT_FIX)
    if not digits.isdigit():
        return None
    return Found(Kind.phone, role, m.group(0).strip(), digits, page_no, label)


def phone_norm(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[-10:] if len(digits) >= 10 else digits


def _free_text(text: str, page_no: int) -> list[Found]:
    found: list[Found] = []
    flat = re.sub(r"\s*\n\s*", " ", text)
    for pattern, role in _FREE_TEXT:
        for m in pattern.finditer(flat):
            name = parse_name(m.group(1))
            if name is None:
                continue
            found.append(_name_found(name, Role.clinician if name.clinician else role, page_no, "text", m.group(1)))
    return found
