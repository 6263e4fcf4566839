"""Snippets for cluster hits, cut in Python from each hit's stored text.

The engines' highlighters mark only the terms a query names literally; people
also find documents through a typo, a prefix, an OCR-garbled word or another
written form of a date. As the embedded backend does, `highlight.matched_tokens`
finds what the query matched in the hit's own text; here every word of the text
whose raw form or English stem is among those is marked, and the fragment
(at most SNIPPET_CHARS, cut at word boundaries like tantivy's) holding the most
distinct matches is shown. Escaping and page numbers: highlight.snippet_html,
highlight.page_at, highlight.opening.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from chartdesk.index import highlight
from chartdesk.index.normalize import fold_accents
from chartdesk.index.query import QueryNode
from chartdesk.index.tantivy_schema import Analyzers

SNIPPET_CHARS = 220
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    marked: str | None  # the matched form (stem) when this word is marked


class SnippetMaker:
    def __init__(self, analyzers: Analyzers, *, fuzzy: bool, fold_ocr: bool = True) -> None:
        self.an = analyzers
        self.fuzzy = fuzzy
        self.fold_ocr = fold_ocr
        self._stem = functools.lru_cache(maxsize=20_000)(self._stem_of)

    def _stem_of(self, word: str) -> str:
        stems = self.an.stem_tokens(word)
        return stems[0] if len(stems) == 1 else word

    def snippet(self, tree: QueryNode, text: str) -> tuple[str, int | None]:
        """Safe HTML (matches in <mark>) and the 1-based page of the first mark."""
        matched = highlight.matched_tokens(tree, text, self.an.raw_tokens, fuzzy=self.fuzzy, fold_ocr=self.fold_ocr)
        stems = {self._stem(t) for t in matched}
        if not matched:
            return highlight.opening(text, SNIPPET_CHARS)
        spans = [self._span(m, matched, stems) for m in _WORD.finditer(text)]
        best = _best_fragment(spans)
        if best is None:
            return highlight.opening(text, SNIPPET_CHARS)
        start, end, marks = best
        fragment = text[start:end]
        ranges = [(_bytes(fragment, s - start), _bytes(fragment, e - start)) for s, e in marks]
        page = highlight.page_at(text, _bytes(text, marks[0][0]))
        return highlight.snippet_html(fragment, ranges), page

    def _span(self, m: re.Match[str], matched: set[str], stems: set[str]) -> _Span:
        raw = fold_accents(m.group())
        hit = raw in matched or self._stem(raw) in stems
        return _Span(m.start(), m.end(), self._stem(raw) if hit else None)


def _best_fragment(spans: list[_Span]) -> tuple[int, int, list[tuple[int, int]]] | None:
    """tantivy's fragments: consecutive runs of words at most SNIPPET_CHARS long,
    the first starting at the text's beginning; the one with most distinct marked
    forms wins (then most marks, then the earliest)."""
    best: tuple[tuple[int, int], int, int, list[tuple[int, int]]] | None = None
    i = 0
    while i < len(spans):
        start = 0 if i == 0 else spans[i].start
        j = i
        while j + 1 < len(spans) and spans[j + 1].end - start <= SNIPPET_CHARS:
            j += 1
        window = spans[i : j + 1]
        marks = [(s.start, s.end) for s in window if s.marked is not None]
        if marks:
            score = (len({s.marked for s in window if s.marked is not None}), len(marks))
            if best is None or score > best[0]:
                best = (score, start, window[-1].end, marks)
        i = j + 1
    return None if best is None else (best[1], best[2], best[3])


def _bytes(text: str, char_offset: int) -> int:
    return len(text[:char_offset].encode("utf-8"))
