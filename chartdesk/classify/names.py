"""Person names: parsing the layouts documents use, keys for comparison, nicknames.

A name key is the name folded for comparison: accents removed, lower case,
apostrophes and spaces dropped, hyphens kept (so "O'Brien" and "OBrien" agree and
"Smith-Jones" can be compared part by part). OCR digits inside a name are read
as the letters they usually are (D0E -> doe).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz.distance import JaroWinkler

TITLES = {"mr", "mrs", "ms", "miss", "mx", "master"}
CLINICIAN_TITLES = {"dr", "doctor", "prof", "professor"}
SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
CLINICIAN_SUFFIXES = {"md", "do", "np", "pa", "pac", "pa-c", "rn", "dnp", "mbbs", "phd", "facp", "faafp", "dds", "od", "aprn", "crnp", "fnp", "lpn"}
PARTICLES = {"de", "del", "della", "da", "di", "du", "la", "le", "van", "von", "der", "den", "ter", "st", "st.", "mac", "bin", "al", "el", "dos", "das"}
# Words that look like names in a form but are not.
NOT_NAMES = {
    "patient", "name", "unknown", "n/a", "na", "none", "date", "birth", "dob", "mrn", "member", "male", "female",
    "sex", "age", "phone", "address", "insured", "subscriber", "signature", "signed", "physician", "provider",
    "account", "number", "the", "and", "for", "with", "this", "that", "your", "our", "report", "results", "result",
    "page", "pages", "fax", "from", "to", "re", "dear", "sincerely", "id", "group", "plan", "claim", "copy",
    "records", "record", "medical", "clinic", "health", "hospital", "center", "laboratory", "lab", "office",
    "today", "ordering", "referring", "attending", "seen", "visit", "note", "summary", "discharge", "referral",
    "of", "is", "in", "on", "at", "by", "was", "has", "he", "she", "his", "her", "pt", "doctor", "consent",
    "home", "cell", "work", "not", "see", "above", "below", "mobile", "tel", "dictated", "a", "an", "i",
}
_OCR_LETTERS = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b", "|": "l", "$": "s", "@": "a"})


def fold(text: str) -> str:
    """Accents removed, lower case."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1 << 16)
def name_key(text: str) -> str:
    """The comparison form of one name (family or given).

    Cached (a pure function of the text): the matcher keys every word of every
    page, and a document's words repeat from page to page and document to document.
    """
    folded = fold(text).translate(_OCR_LETTERS)
    folded = re.sub(r"[\s'’`´.]+", "", folded)
    return re.sub(r"[^a-z-]", "", folded).strip("-")


def name_parts(key: str) -> list[str]:
    """The parts of a hyphenated or compound key ("smith-jones" -> ["smith", "jones"])."""
    return [p for p in key.split("-") if p]


def similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two keys, hyphens ignored."""
    return JaroWinkler.similarity(a.replace("-", ""), b.replace("-", ""))


@cache
def _nickname_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    text = resources.files("chartdesk.classify").joinpath("nicknames.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        names = [name_key(n) for n in line.split(",") if n.strip()]
        for n in names:
            groups.setdefault(n, set()).update(names)
    return {k: frozenset(v) for k, v in groups.items()}


def nicknames(given_key: str) -> frozenset[str]:
    """Names that may stand for this given name ("bob" for "robert"), itself included."""
    return _nickname_groups().get(given_key, frozenset({given_key}))


def is_nickname_of(a: str, b: str) -> bool:
    return b in nicknames(a) or a in nicknames(b)


def soundex(key: str) -> str:
    """American Soundex of a key: a cheap phonetic code for blocking."""
    letters = [c for c in key if c.isalpha()]
    if not letters:
        return ""
    codes = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
             "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
    out, last = letters[0], codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]


@dataclass(frozen=True, slots=True)
class PersonName:
    family: str
    given: str
    middle: str = ""
    clinician: bool = False  # written with a clinician's title or degree

    @property
    def family_key(self) -> str:
        return name_key(self.family)

    @property
    def given_key(self) -> str:
        return name_key(self.given)

    @property
    def display(self) -> str:
        return " ".join(p for p in (self.given, self.middle, self.family) if p)


_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9|$@][A-Za-zÀ-ÖØ-öø-ÿ0-9|$@'’\-.]*")


def _clean_tokens(text: str) -> tuple[list[str], bool]:
    """Tokens of a name, titles and suffixes removed; flag: a clinician's title was present."""
    tokens = _TOKEN.findall(text.replace("_", " "))
    clinician = False
    kept: list[str] = []
    for tok in tokens:
        low = tok.lower().strip(".")
        if low in CLINICIAN_TITLES or low.replace(".", "") in CLINICIAN_SUFFIXES and kept:
            clinician = True
            continue
        if low in TITLES or low.replace(".", "") in SUFFIXES:
            continue
        kept.append(tok.strip(".") if len(tok.strip(".")) > 1 else tok)
    return kept, clinician


def _plausible(tokens: list[str]) -> bool:
    if not 2 <= len(tokens) <= 5:
        return False
    letters = [name_key(t) for t in tokens]
    if any(not k for k in letters) or all(len(k) <= 1 for k in letters):
        return False
    return not any(k in NOT_NAMES for k in letters if len(k) > 1)


def parse_name(text: str) -> PersonName | None:
    """Read one person's name in the layouts forms and letters use.

    "DOE, JANE A" / "Doe, Jane" / "Jane A. Doe" / "Mrs. Jane Doe" / "Dr. John Smith, MD" /
    "Maria de la Cruz" / "Mary-Kate O'Brien-Smith". None when it does not look like a name.
    """
    text = text.strip(" \t:;-_*#")
    if "," in text:
        family_part, _, rest = text.partition(",")
        rest_words = [w.lower().replace(".", "") for w in rest.replace(",", " ").split()]
        if rest_words and all(w in CLINICIAN_SUFFIXES or w in SUFFIXES for w in rest_words):
            degree = any(w in CLINICIAN_SUFFIXES for w in rest_words)
            text = family_part + (" MD" if degree else "")
        else:
            fam_tokens, clin_a = _clean_tokens(family_part)
            rest_tokens, clin_b = _clean_tokens(rest)
            if fam_tokens and rest_tokens and _plausible(fam_tokens[:3] + rest_tokens[:1]):
                return _from_comma(fam_tokens, rest_tokens, clinician=clin_a or clin_b)
            if fam_tokens and not rest_tokens:
                text = family_part
    tokens, clinician = _clean_tokens(text)
    if not _plausible(tokens):
        return None
    return _from_natural(tokens, clinician=clinician)


def _from_comma(family: list[str], rest: list[str], *, clinician: bool) -> PersonName:
    middle = " ".join(rest[1:3])
    return PersonName(" ".join(family[:3]), rest[0], middle, clinician)


def _from_natural(tokens: list[str], *, clinician: bool) -> PersonName:
    given, remaining = tokens[0], tokens[1:]
    # the family name starts at the first particle, or is the last token
    start = len(remaining) - 1
    for i, tok in enumerate(remaining[:-1]):
        if tok.lower() in PARTICLES:
            start = i
            break
    family = " ".join(remaining[start:])
    middle = " ".join(remaining[:start])
    return PersonName(family, given, middle, clinician)
