"""Spoken identifiers into written ones, so dictations match like scans.

A clinician says "date of birth March fourth nineteen sixty-one", "M R N four
five one two" and spells a name: "Smith, S M I T H". Whisper writes some of
that as digits already ("March 4th, 1961", "M.R.N. 451-2", "S-M-I-T-H") and
some not. `normalise_spoken` turns every such form into the written one the
identifier extraction of classify/ reads ("March 4, 1961", "MRN 4512",
"Smith"); `read_spoken` also returns the identifiers it saw as values.

The passes run in order on the text: spelled letters, MRN digits, dates, runs
of spoken digits. Anything not recognised is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_REPEAT = {"double": 2, "triple": 3}
# Words Whisper writes for a spoken digit; trusted only inside an MRN, after a digit.
_HOMOPHONES = {"to": "2", "too": "2", "for": "4", "won": "1", "ate": "8"}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH_NO = {name: no for no, name in enumerate(_MONTHS, start=1)} | {"sept": 9}

_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:st|nd|rd|th)?|[^\sA-Za-z\d]")
_SPELLED = re.compile(
    r"(?:(?P<prev>(?<![\w'])[A-Za-z][A-Za-z'\-]+)(?P<gap>,?\s+))?"
    r"(?P<letters>(?<![\w'.\-])[A-Za-z](?:(?:\.\s*|\s*-\s*|\s+)[A-Za-z](?![\w'])){2,}\.?)"
)
_SPELL_SEPARATOR = re.compile(r"[^A-Za-z]+")
_RECORD_NUMBER = re.compile(r"\bmedical record number\b", re.IGNORECASE)
_MRN_FOLLOW = {"is", "number", "no", "#", ":", ",", "-", "."}
_NAME_SIMILARITY = 60  # % similarity at which a spoken word is the name spelled after it


@dataclass(frozen=True, slots=True)
class SpokenText:
    """Normalised text and the identifiers found in it."""

    text: str
    dates: tuple[dt.date, ...] = ()
    dates_of_birth: tuple[dt.date, ...] = ()
    mrns: tuple[str, ...] = ()
    spelled_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


@dataclass(slots=True)
class _Found:
    dates: list[dt.date] = field(default_factory=list)
    mrns: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def normalise_spoken(text: str) -> str:
    """Written forms for spoken dates, MRNs, digit runs and spelled names."""
    return read_spoken(text).text


def read_spoken(text: str) -> SpokenText:
    """`normalise_spoken` plus the identifiers it recognised, as values."""
    found = _Found()
    text = _join_spelling(text, found)
    text = _RECORD_NUMBER.sub("MRN", text)
    text = _rewrite(text, _mrn_at, found)
    text = _rewrite(text, _date_at, found)
    text = _rewrite(text, _digit_run_at, found)
    return SpokenText(
        text=text,
        dates=tuple(found.dates),
        dates_of_birth=tuple(_dates_of_birth(text)),
        mrns=tuple(found.mrns),
        spelled_names=tuple(found.names),
    )


# -- spelled letters ---------------------------------------------------------


def _join_spelling(text: str, found: _Found) -> str:
    return _SPELLED.sub(lambda m: _spelled(m, found), text)


def _spelled(match: re.Match[str], found: _Found) -> str:
    raw = match.group("letters")
    letters = _SPELL_SEPARATOR.sub("", raw)
    prev, gap = match.group("prev"), match.group("gap") or ""
    tail = "." if raw.endswith(".") and _ends_sentence(match) else ""
    if prev and fuzz.ratio(prev.lower(), letters.lower()) >= _NAME_SIMILARITY:
        word = letters.capitalize()
        found.names.append(word)
        return word + tail
    joined = letters.upper()
    if joined not in {"MRN", "DOB"}:
        found.names.append(joined.capitalize())
    return (prev or "") + gap + joined + tail


def _ends_sentence(match: re.Match[str]) -> bool:
    rest = match.string[match.end():]
    return not rest.strip() or bool(re.match(r"\s+[A-Z]", rest))


# -- token rewriting -----------------------------------------------------------


def _rewrite(text: str, parser: object, found: _Found) -> str:
    """Apply `parser(tokens, i, found) -> (end_index, replacement) | None` left to right."""
    tokens = [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(tokens):
        hit = parser(tokens, i, found)  # type: ignore[operator]
        if hit is None:
            i += 1
            continue
        end, replacement = hit
        out.append(text[pos:tokens[i].start])
        out.append(replacement)
        pos = tokens[end - 1].end
        i = end
    out.append(text[pos:])
    return "".join(out)


def _word(tokens: list[_Token], i: int) -> str:
    return tokens[i].low if i < len(tokens) else ""


def _skip(tokens: list[_Token], i: int, words: set[str]) -> int:
    while i < len(tokens) and tokens[i].low in words:
        i += 1
    return i


# -- MRN -------------------------------------------------------------------------


def _mrn_at(tokens: list[_Token], i: int, found: _Found) -> tuple[int, str] | None:
    if tokens[i].text not in {"MRN", "mrn", "Mrn"}:
        return None
    j = _skip(tokens, i + 1, _MRN_FOLLOW)
    digits, end = _digits(tokens, j, allow_numbers=True, homophones=True)
    if len(digits) < 3:
        return None
    found.mrns.append(digits)
    return end, f"MRN {digits}"


def _digits(tokens: list[_Token], i: int, *, allow_numbers: bool, homophones: bool = False) -> tuple[str, int]:
    """Spoken or written digits from token i, across spaces, hyphens and commas."""
    out, end, j = "", i, i
    while j < len(tokens):
        piece, nxt = _digit_piece(tokens, j, allow_numbers=allow_numbers)
        if not piece and out and homophones and _homophone_digit(tokens, j):
            piece, nxt = _HOMOPHONES[_word(tokens, j)], j + 1
        if not piece:
            break
        out += piece
        end = j = nxt
        if _word(tokens, j) in {"-", ",", "."}:
            following = _digit_piece(tokens, j + 1, allow_numbers=allow_numbers)[0]
            # "451-2" joins; "4, 5, 1" joins; "4512, 45 years" does not.
            if following and (tokens[j].text == "-" or len(piece) == len(following) == 1):
                j += 1
    return out, end


def _homophone_digit(tokens: list[_Token], i: int) -> bool:
    """"to" in "MRN 451 to." is the last digit; in "MRN 4512 to the clinic" it is a word."""
    following = _word(tokens, i + 1)
    return _word(tokens, i) in _HOMOPHONES and (not following or following in {".", ",", ";"})


def _digit_piece(tokens: list[_Token], i: int, *, allow_numbers: bool) -> tuple[str, int]:
    if i >= len(tokens):
        return "", i
    token = tokens[i].low
    if token.isdigit() and (allow_numbers or len(token) == 1):
        return token, i + 1
    if token in _DIGIT_WORDS:
        return _DIGIT_WORDS[token], i + 1
    if token in _REPEAT and _word(tokens, i + 1) in _DIGIT_WORDS:
        return _DIGIT_WORDS[_word(tokens, i + 1)] * _REPEAT[token], i + 2
    return "", i


def _digit_run_at(tokens: list[_Token], i: int, found: _Found) -> tuple[int, str] | None:
    """Three or more single spoken digits in a row ("five five five one") -> "5551"."""
    if i > 0 and _digit_piece(tokens, i - 1, allow_numbers=False)[0]:
        return None
    digits, end = _digits(tokens, i, allow_numbers=False)
    if len(digits) < 3 or end - i < 3:
        return None
    return end, digits


# -- dates -----------------------------------------------------------------------


def _date_at(tokens: list[_Token], i: int, found: _Found) -> tuple[int, str] | None:
    hit = _month_first(tokens, i) or _day_first(tokens, i)
    if hit is None:
        return None
    end, month, day, year = hit
    name = _MONTHS[month - 1].capitalize()
    if year is None:
        return end, f"{name} {day}"
    found.dates.append(dt.date(year, month, day))
    return end, f"{name} {day}, {year}"


def _month_first(tokens: list[_Token], i: int) -> tuple[int, int, int, int | None] | None:
    month = _month(tokens, i)
    if month is None:
        return None
    day = _day(tokens, _skip(tokens, i + 1, {"the"}))
    if day is None:
        return None
    value, j = day
    return _with_year(tokens, j, month, value)


def _day_first(tokens: list[_Token], i: int) -> tuple[int, int, int, int | None] | None:
    if _word(tokens, i) == "the":
        i += 1
    day = _day(tokens, i, ordinal_only=True)
    if day is None or _word(tokens, day[1]) != "of":
        return None
    month = _month(tokens, day[1] + 1)
    if month is None:
        return None
    return _with_year(tokens, day[1] + 2, month, day[0])


def _with_year(tokens: list[_Token], j: int, month: int, day: int) -> tuple[int, int, int, int | None] | None:
    k = j + 1 if _word(tokens, j) == "," else j
    year = _year(tokens, k)
    if year is not None and _valid(year[0], month, day):
        return year[1], month, day, year[0]
    if not _valid(2000, month, day):  # 2000 is a leap year: Feb 29 is a real day
        return None
    return j, month, day, None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def _month(tokens: list[_Token], i: int) -> int | None:
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token.low == "may" and token.text != "May":  # "may" is mostly a verb
        return None
    return _MONTH_NO.get(token.low)


def _day(tokens: list[_Token], i: int, *, ordinal_only: bool = False) -> tuple[int, int] | None:
    if i >= len(tokens):
        return None
    token = tokens[i].low
    match = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", token)
    if match and (match.group(2) or not ordinal_only):
        return _in_month_range(int(match.group(1)), i + 1)
    if token in _ORDINALS:
        return _in_month_range(_ORDINALS[token], i + 1)
    if token in _TENS:
        j = i + 2 if _word(tokens, i + 1) == "-" else i + 1
        if _word(tokens, j) in _ORDINALS and _ORDINALS[_word(tokens, j)] < 10:
            return _in_month_range(_TENS[token] + _ORDINALS[_word(tokens, j)], j + 1)
    if ordinal_only:
        return None
    number = _two_digit_words(tokens, i)
    return _in_month_range(*number) if number else None


def _in_month_range(value: int, end: int) -> tuple[int, int] | None:
    return (value, end) if 1 <= value <= 31 else None


def _year(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    if i >= len(tokens):
        return None
    token = tokens[i].low
    if re.fullmatch(r"(19|20)\d\d", token):
        return int(token), i + 1
    if token in {"19", "20"} and i + 1 < len(tokens) and re.fullmatch(r"\d\d", tokens[i + 1].low):
        return int(token + tokens[i + 1].low), i + 2
    return _year_words(tokens, i)


def _year_words(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    """"nineteen sixty-one", "nineteen oh five", "two thousand (and) five", "twenty twenty-one"."""
    token = _word(tokens, i)
    if token == "two" and _word(tokens, i + 1) == "thousand":
        j = _skip(tokens, i + 2, {"and"})
        rest = _two_digit_words(tokens, j)
        return (2000 + rest[0], rest[1]) if rest else (2000, i + 2)
    century = {"nineteen": 19, "twenty": 20}.get(token)
    if century is None:
        return None
    j = i + 1
    if _word(tokens, j) == "hundred":
        return century * 100, j + 1
    if _word(tokens, j) in {"oh", "o"} and _word(tokens, j + 1) in _DIGIT_WORDS:
        return century * 100 + int(_DIGIT_WORDS[_word(tokens, j + 1)]), j + 2
    rest = _two_digit_words(tokens, j)
    if rest is None or rest[0] < 10:
        return None
    return century * 100 + rest[0], rest[1]


def _two_digit_words(tokens: list[_Token], i: int) -> tuple[int, int] | None:
    token = _word(tokens, i)
    if token in _UNITS:
        return _UNITS[token], i + 1
    if token not in _TENS:
        return None
    j = i + 2 if _word(tokens, i + 1) == "-" else i + 1
    unit = _word(tokens, j)
    if unit in _UNITS and 0 < _UNITS[unit] < 10:
        return _TENS[token] + _UNITS[unit], j + 1
    return _TENS[token], i + 1


# -- identifiers in the normalised text ---------------------------------------------

_DOB = re.compile(
    r"\b(?:date of birth|DOB|born(?: on)?)\b\W{0,3}(?:is\s+)?(?:the\s+)?"
    r"(?P<month>[A-Z][a-z]+) (?P<day>\d{1,2}), (?P<year>\d{4})",
    re.IGNORECASE,
)


def _dates_of_birth(text: str) -> list[dt.date]:
    out = []
    for m in _DOB.finditer(text):
        month = _MONTH_NO.get(m.group("month").lower())
        if month and _valid(int(m.group("year")), month, int(m.group("day"))):
            out.append(dt.date(int(m.group("year")), month, int(m.group("day"))))
    return out
