"""Search words marked in a page's text: escaped first, then <mark> around each
whole word the query named (a `word*` marks every word it starts). Query syntax
(operators, field filters, quotes) is not itself marked."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_TOKEN = re.compile(r'"[^"]*"|\S+')
_OPERATORS = {"AND", "OR", "NOT", "&&", "||"}
MAX_TERMS = 32


def terms_of(query: str) -> list[str]:
    words: list[str] = []
    for token in _TOKEN.findall(query or ""):
        if token in _OPERATORS or (":" in token and not token.startswith('"')):
            continue
        token = token.strip('"()!').lstrip("-")
        words.extend(w for w in re.findall(r"[\w']+\*?", token) if len(w.rstrip("*")) >= 2)
    return words[:MAX_TERMS]


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    parts = sorted({re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t) for t in terms}, key=len,
                   reverse=True)
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def mark(text: str, query: str) -> Markup:
    """`text` as safe HTML with the query's words in <mark>."""
    pattern = _pattern(terms_of(query))
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for found in pattern.finditer(text):
        out.append(escape(text[last:found.start()]))
        out.append(Markup("<mark>") + escape(found.group(0)) + Markup("</mark>"))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
