"""Normalisation shared by indexing and querying, whatever the backend.

- `simple_tokens`: lowercase, accent-folded alphanumeric runs (the key used for
  synonyms and names; backends still tokenise text with their own analyser).
- Dates: `find_dates` recognises every written form of a date in text
  (03/04/1961, 3/4/61, 1961-03-04, March 4 1961, 4 March 1961, 04MAR1961,
  Mar. 4, 1961 ...) and `normalise_date` reads one date typed on its own.
  Numeric dates with slashes or dashes are read month first (US order).
  Two-digit years pivot on the current year: 00..(this year % 100) are 20xx,
  the rest 19xx (so "3/4/61" is 1961 and "3/4/19" is 2019 in 2026).
- Names: `normalise_name` gives one token order however a name is written
  ("DOE, JANE A", "Jane A. Doe" -> ("jane", "a", "doe")).
- OCR: `ocr_fold` maps characters tesseract commonly confuses on faxes
  (0/o, 1/l/i/|, 5/s, rn/m, vv/w) to one form, so a noisy token and the clean
  word meet in a folded field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

_ALNUM_RUN = re.compile(r"[^\W_]+")


def fold_accents(text: str) -> str:
    """Lowercase and strip accents (café -> cafe)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def simple_tokens(text: str) -> tuple[str, ...]:
    """Lowercase, accent-folded runs of letters and digits."""
    return tuple(_ALNUM_RUN.findall(fold_accents(text)))


# ---------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MON = "(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_ORD = r"(?:st|nd|rd|th)?"
_START = r"(?<![^\W_])"  # not glued to a preceding letter or digit
_END = r"(?![^\W_])"

_DATE_PATTERNS = tuple(
    re.compile(_START + p + _END, re.IGNORECASE)
    for p in (
        # 1961-03-04, 1961/3/4
        r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})",
        # 03/04/1961, 3/4/61, 3-4-1961 (month first)
        r"(?P<m>\d{1,2})(?P<sep>[/-])(?P<d>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})",
        # March 4 1961, Mar. 4, 1961, Mar 4th, 61
        _MON + r"\.?\s*(?P<d>\d{1,2})" + _ORD + r"(?:\s*,\s*|\s+)(?P<y>\d{4}|\d{2})",
        # 4 March 1961, 04MAR1961, 04-Mar-61, 4th of March, 1961
        r"(?P<d>\d{1,2})" + _ORD + r"(?:\s*-\s*|\s+of\s+|\s*)" + _MON + r"\.?(?:\s*[-,]\s*|\s*)(?P<y>\d{4}|\d{2})",
    )
)

MIN_YEAR, MAX_YEAR = 1850, 2150


@dataclass(frozen=True, slots=True)
class DateMatch:
    start: int
    end: int
    value: dt.date


def expand_year(year_text: str, *, today: dt.date | None = None) -> int:
    """A written year as a full year; two digits pivot on the current year."""
    year = int(year_text)
    if len(year_text) > 2:
        return year
    pivot = (today or dt.date.today()).year % 100
    return 2000 + year if year <= pivot else 1900 + year


def _date_from(match: re.Match[str], today: dt.date | None) -> dt.date | None:
    parts = match.groupdict()
    month = _MONTHS[parts["mon"].lower()] if parts.get("mon") else int(parts["m"])
    try:
        value = dt.date(expand_year(parts["y"], today=today), month, int(parts["d"]))
    except ValueError:
        return None
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def find_dates(text: str, *, today: dt.date | None = None) -> list[DateMatch]:
    """Every date written in `text`, left to right, never overlapping."""
    found: list[DateMatch] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            value = _date_from(match, today)
            if value is not None:
                found.append(DateMatch(match.start(), match.end(), value))
    found.sort(key=lambda m: (m.start, m.start - m.end))
    kept: list[DateMatch] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


def match_date_at(text: str, pos: int, *, today: dt.date | None = None) -> DateMatch | None:
    """The longest date written exactly at `pos` in `text`, if any."""
    best: DateMatch | None = None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text, pos)
        if match is None:
            continue
        value = _date_from(match, today)
        if value is not None and (best is None or match.end() > best.end):
            best = DateMatch(match.start(), match.end(), value)
    return best


def normalise_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The date `text` names when it is one date and nothing else, else None."""
    stripped = text.strip().strip(",;:()[]")
    match = match_date_at(stripped, 0, today=today)
    if match is None or match.end != len(stripped):
        return None
    return match.value


def date_token(value: dt.date) -> str:
    """The token a date is indexed and searched as."""
    return value.isoformat()


# ---------------------------------------------------------------- names


def normalise_name(name: str) -> tuple[str, ...]:
    """One token order for a person's name: given names first, family name last.

    "DOE, JANE A" -> ("jane", "a", "doe"); "Jane A. Doe" -> ("jane", "a", "doe").
    """
    if "," in name:
        family, _, given = name.partition(",")
        return simple_tokens(given) + simple_tokens(family)
    return simple_tokens(name)


# ---------------------------------------------------------------- OCR

_OCR_PAIRS = (("rn", "m"), ("vv", "w"), ("|", "l"))
_OCR_CHARS = str.maketrans({"0": "o", "1": "l", "i": "l", "5": "s"})


def ocr_fold(token: str) -> str:
    """Map characters OCR often confuses to one form (only in tokens with letters).

    "hemog1obin", "hemoglobin" and "hernoglobin" all fold to "hemoglobln".
    Pure numbers are left alone so that 1961 stays 1961.
    """
    token = token.lower()
    if not any(ch.isalpha() for ch in token):
        return token
    for wrong, right in _OCR_PAIRS:
        token = token.replace(wrong, right)
    return token.translate(_OCR_CHARS)
