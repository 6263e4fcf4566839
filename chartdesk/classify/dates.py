"""Dates in document text: numeric, ISO, written-out and spoken forms, with OCR slips.

`find_dates(text)` returns every date it can read with its position, so callers
can look at the label in front of it (DOB, date of service...). Numeric dates
are read month first (a US office) unless the first number cannot be a month.
Two-digit years are placed by what the date is: a birth date lies in the past,
a document date near today.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz


class DateKind(StrEnum):
    birth = "birth"
    document = "document"


@dataclass(frozen=True, slots=True)
class FoundDate:
    value: dt.date
    start: int
    end: int
    style: str  # numeric | iso | written | spoken
    two_digit_year: bool = False


MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
_ABBR = {name[:3]: num for name, num in MONTHS.items()} | {"sept": 9}

# OCR confusions inside a number: letters tesseract reads for digits.
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1",
                            "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9"})
_D = r"[0-9OoQDIl|iSsBZzg]"
_NUMERIC = re.compile(
    rf"(?<![\w/.-])({_D}{{1,2}})\s?([/.-])\s?({_D}{{1,2}})\s?\2\s?({_D}{{4}}|{_D}{{2}})(?![\w/-])"
)
_ISO = re.compile(rf"(?<![\w/.-])({_D}{{4}})([-/.])({_D}{{1,2}})\2({_D}{{1,2}})(?![\w/-])")
_WORD = r"[A-Za-z]{3,10}"
_ORD = r"(?:st|nd|rd|th)?"
_WRITTEN_MDY = re.compile(rf"\b({_WORD})\.?\s+({_D}{{1,2}}){_ORD},?\s+('?{_D}{{4}}|'{_D}{{2}})(?![\w])")
_WRITTEN_DMY = re.compile(rf"\b({_D}{{1,2}}){_ORD}(?:\s+|-)(?:of\s+)?({_WORD})\.?(?:,?\s+|-)({_D}{{4}})(?![\w])")
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand first second third fourth fifth sixth seventh eighth ninth tenth "
    "eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
    "twentieth thirtieth and oh"
).split()
_NW = "(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_SPOKEN = re.compile(rf"\b({_WORD})\s+(?:the\s+)?((?:{_NW}(?:[\s-]+|,\s*|\s+of\s+)){{2,7}}{_NW})\b", re.IGNORECASE)


def month_number(token: str) -> int | None:
    """A month name or abbreviation, allowing one OCR slip in a full name."""
    word = token.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS[word]
    if word in _ABBR:
        return _ABBR[word]
    if len(word) >= 5:
        best = max(MONTHS, key=lambda m: fuzz.ratio(word, m))
        if fuzz.ratio(word, best) >= 80:
            return MONTHS[best]
    return None


def _digits(token: str) -> str | None:
    fixed = token.lstrip("'").translate(_DIGIT_FIX)
    if not fixed.isdigit() or sum(c.isdigit() for c in token) < max(1, len(token) // 2):
        return None
    return fixed


def full_year(yy: int, kind: DateKind, today: dt.date) -> int:
    """Place a two-digit year: births in the past, documents near today."""
    if kind is DateKind.birth:
        return 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    return 2000 + yy if 2000 + yy <= today.year + 1 else 1900 + yy


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _numeric(m: re.Match[str], kind: DateKind, today: dt.date) -> FoundDate | None:
    a, b, y = (_digits(g) for g in (m.group(1), m.group(3), m.group(4)))
    if a is None or b is None or y is None:
        return None
    first, second, year = int(a), int(b), int(y)
    short = len(y) == 2
    if short:
        year = full_year(year, kind, today)
    month, day = (first, second) if first <= 12 else (second, first)
    value = _make(year, month, day)
    return FoundDate(value, m.start(), m.end(), "numeric", short) if value else None


def _iso(m: re.Match[str]) -> FoundDate | None:
    y, mo, d = (_digits(g) for g in (m.group(1), m.group(3), m.group(4)))
    if y is None or mo is None or d is None:
        return None
    value = _make(int(y), int(mo), int(d))
    return FoundDate(value, m.start(), m.end(), "iso") if value else None


def _written(m: re.Match[str], *, day_first: bool, kind: DateKind, today: dt.date) -> FoundDate | None:
    month_tok, day_tok, year_tok = (m.group(2), m.group(1), m.group(3)) if day_first else m.groups()
    month = month_number(month_tok)
    day, year = _digits(day_tok), _digits(year_tok)
    if month is None or day is None or year is None:
        return None
    short = len(year) == 2
    full = full_year(int(year), kind, today) if short else int(year)
    value = _make(full, month, int(day))
    return FoundDate(value, m.start(), m.end(), "written", short) if value else None


def find_dates(text: str, *, kind: DateKind = DateKind.document, today: dt.date | None = None) -> list[FoundDate]:
    """Every date in `text`, in reading order, without overlaps."""
    today = today or dt.date.today()
    found: list[FoundDate] = []
    for m in _ISO.finditer(text):
        found.append(_iso(m))  # type: ignore[arg-type]
    for m in _NUMERIC.finditer(text):
        found.append(_numeric(m, kind, today))  # type: ignore[arg-type]
    for m in _WRITTEN_MDY.finditer(text):
        found.append(_written(m, day_first=False, kind=kind, today=today))  # type: ignore[arg-type]
    for m in _WRITTEN_DMY.finditer(text):
        found.append(_written(m, day_first=True, kind=kind, today=today))  # type: ignore[arg-type]
    for m in _SPOKEN.finditer(text):
        found.append(_spoken(m))  # type: ignore[arg-type]
    return _without_overlaps([f for f in found if f is not None])


def _without_overlaps(found: list[FoundDate]) -> list[FoundDate]:
    kept: list[FoundDate] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if kept and f.start < kept[-1].end:
            continue
        kept.append(f)
    return kept


def parse_date(text: str, *, kind: DateKind = DateKind.document, today: dt.date | None = None) -> dt.date | None:
    """The first date in `text`, or None."""
    found = find_dates(text, kind=kind, today=today)
    return found[0].value if found else None


# ---- spoken dates ("March the fourth, nineteen sixty-one") ----

_UNITS = {w: i for i, w in enumerate(_NUMBER_WORDS[:20])} | {"oh": 0}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}


def _small_number(words: list[str]) -> int | None:
    """1..99 from words ("twenty four", "fourth", "twenty-fourth")."""
    total = 0
    for w in words:
        if w in _TENS and total == 0:
            total = _TENS[w]
        elif w in _UNITS and total % 10 == 0 and _UNITS[w] < 10 or w in _UNITS and total == 0:
            total += _UNITS[w]
        elif w in _ORDINALS and (total == 0 or _ORDINALS[w] < 10):
            total += _ORDINALS[w]
        else:
            return None
    return total or None


def spoken_year(words: list[str]) -> int | None:
    """'nineteen sixty one' -> 1961; 'two thousand and five' -> 2005; 'twenty twenty' -> 2020."""
    words = [w for w in words if w != "and"]
    if len(words) >= 2 and words[:2] == ["two", "thousand"]:
        rest = _small_number(words[2:]) if words[2:] else 0
        return None if rest is None else 2000 + rest
    for split in (1, 2):
        head, tail = _small_number(words[:split]), words[split:]
        if head is None or not tail or not 10 <= head <= 29:
            continue
        if tail[0] == "oh" and len(tail) == 2 and tail[1] in _UNITS:
            return head * 100 + _UNITS[tail[1]]
        low = _small_number(tail)
        if low is not None and 10 <= low <= 99:
            return head * 100 + low
    return None


def _spoken(m: re.Match[str]) -> FoundDate | None:
    month = month_number(m.group(1))
    if month is None:
        return None
    words = [w for w in re.split(r"[\s,-]+", m.group(2).lower()) if w and w != "of"]
    for day_len in (1, 2):
        day, year = _small_number(words[:day_len]), spoken_year(words[day_len:])
        value = _make(year, month, day) if day and year else None
        if value:
            return FoundDate(value, m.start(), m.end(), "spoken")
    return None
