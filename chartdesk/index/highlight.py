"""What to highlight in a hit, and safe snippet HTML. Backend-neutral.

Engines highlight only the exact terms of a query, but people also find
documents through a typo, a prefix, an OCR-garbled word or another written
form of a date. `matched_tokens` finds, in one hit's own text, the tokens the
query matched in any of these ways, so the snippet marks them too.

`snippet_html` escapes everything (a document's text that contains markup comes
out as text) and wraps matches in <mark>.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from rapidfuzz.distance import OSA

from chartdesk.index.model import PAGE_BREAK
from chartdesk.index.normalize import find_dates, ocr_fold
from chartdesk.index.query import DateTerm, Phrase, Prefix, QueryNode, Word, positive_leaves

Tokenize = Callable[[str], list[str]]
FUZZY_MIN_CHARS = 5
OCR_NEAR_MIN_CHARS = 8


def matched_tokens(tree: QueryNode, text: str, tokenize: Tokenize, *, fuzzy: bool, fold_ocr: bool) -> set[str]:
    """The analysed tokens of `text` that the query's positive terms matched."""
    doc_tokens = set(tokenize(text))
    found: set[str] = set()
    for leaf in positive_leaves(tree):
        match leaf:
            case Word(initial=True):
                continue  # a name initial ("a") would mark every article
            case Word(text=word) | Phrase(text=word):
                for token in tokenize(word):
                    found |= _word_matches(token, doc_tokens, fuzzy=fuzzy, fold_ocr=fold_ocr)
            case Prefix(text=word):
                tokens = tokenize(word)
                found |= {t for t in doc_tokens if tokens and t.startswith(tokens[-1])}
                found |= doc_tokens.intersection(tokens[:-1])
            case DateTerm(value=value):
                for m in find_dates(text):
                    if m.value == value:
                        found.update(tokenize(text[m.start : m.end]))
    return found


def _word_matches(token: str, doc_tokens: set[str], *, fuzzy: bool, fold_ocr: bool) -> set[str]:
    found = {token} & doc_tokens
    if fuzzy and len(token) >= FUZZY_MIN_CHARS and not token.isdigit():
        found |= {t for t in doc_tokens if abs(len(t) - len(token)) <= 1 and OSA.distance(t, token, score_cutoff=1) <= 1}
    if fold_ocr and any(ch.isalpha() for ch in token):
        folded = ocr_fold(token)
        found |= {t for t in doc_tokens if len(t) >= len(folded) - 2 and ocr_fold(t) == folded}
        if fuzzy and len(folded) >= OCR_NEAR_MIN_CHARS:
            found |= {t for t in doc_tokens if _ocr_near(ocr_fold(t), folded)}
    return found


def _ocr_near(candidate: str, folded: str) -> bool:
    """The tantivy backend's rule for long OCR-garbled words (tantivy_query._ocr_near)."""
    return (
        candidate[:2] == folded[:2]
        and abs(len(candidate) - len(folded)) <= 1
        and OSA.distance(candidate, folded, score_cutoff=2) <= 2
    )


def snippet_html(fragment: str, ranges: Iterable[tuple[int, int]]) -> str:
    """Escaped HTML of `fragment` with byte `ranges` wrapped in <mark>."""
    data = fragment.encode("utf-8")
    out: list[str] = []
    cursor = 0
    for start, end in sorted(ranges):
        if start < cursor or end > len(data) or start >= end:
            continue
        out.append(_text(data[cursor:start]))
        out.append(f"<mark>{_text(data[start:end])}</mark>")
        cursor = end
    out.append(_text(data[cursor:]))
    return "".join(out).strip()


def _text(chunk: bytes) -> str:
    return html.escape(chunk.decode("utf-8", errors="replace").replace(PAGE_BREAK, " "), quote=True)


def page_at(text: str, byte_offset: int) -> int:
    """The 1-based page holding `byte_offset` of `text` (pages joined by PAGE_BREAK)."""
    return text.encode("utf-8")[:byte_offset].count(PAGE_BREAK.encode()) + 1


def locate(text: str, fragment: str, hint: int) -> int | None:
    """The byte offset of `fragment` in `text`, trusting `hint` when it is right."""
    data, piece = text.encode("utf-8"), fragment.encode("utf-8")
    if data[hint : hint + len(piece)] == piece:
        return hint
    found = data.find(piece)
    return found if found >= 0 else None


def opening(text: str, max_chars: int) -> tuple[str, int | None]:
    """A plain snippet when nothing can be highlighted: the first words of the first non-empty page."""
    pages = text.split(PAGE_BREAK)
    for number, page in enumerate(pages, start=1):
        words = " ".join(page.split())
        if words:
            cut = words if len(words) <= max_chars else words[:max_chars].rsplit(" ", 1)[0] + " …"
            return html.escape(cut, quote=True), number
    return "", None
