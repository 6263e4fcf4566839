"""How close extracted text is to the ground truth."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Collapse whitespace, NFC; case and punctuation are kept (they matter in MRNs and doses)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def cer(truth: str, found: str) -> float:
    """Character error rate: edit distance / length of the truth, after `normalise`."""
    t, f = normalise(truth), normalise(found)
    return Levenshtein.distance(t, f) / max(1, len(t))


def word_cer(truth: str, found: str) -> float:
    """CER of the words in sorted order: insensitive to reading order (columns, tables)."""
    t = " ".join(sorted(normalise(truth).split()))
    f = " ".join(sorted(normalise(found).split()))
    return Levenshtein.distance(t, f) / max(1, len(t))


def word_recall(truth: str, found: str) -> float:
    """Share of the truth's words found verbatim in `found`."""
    t = normalise(truth).split()
    seen = set(normalise(found).split())
    return sum(w in seen for w in t) / max(1, len(t))
