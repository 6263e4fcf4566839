"""What staff type in the search box, parsed into a backend-neutral query tree.

Grammar (operators in capitals; lowercase and/or/not are ordinary words):

    query   := or_expr
    or_expr := and_expr ( ("OR" | "||") and_expr )*
    and_expr:= unary ( ["AND" | "&&"] unary )*        words side by side all must match
    unary   := ("NOT" | "-" | "!") unary | primary
    primary := "(" or_expr ")" | "phrase" | word* | word | date | field:value | "*"

- `card*` is a prefix; a lone `*` (or an empty box) means every document.
- A date in any written form (03/04/1961, March 4 1961, 04MAR1961 ...) is one
  term that finds every other form of the same date.
- Field filters: class:lab_result  patient:123  source:fax  inbox:faxes
  label:urgent  status:review  chart:restricted  id:42
  date:2026-03-01..2026-03-31 (also date:2026-03, date:2026, date:..2026-03-31)
  received:... (same forms). Several values: class:lab_result,referral.
- Names: single letters typed as initials ("jane a. doe", "DOE, JANE A") are
  optional, so a name is found however it is written.

The parser is lenient with what people type: an unclosed quote or parenthesis
closes at the end, a stray `)` or operator is ignored. What cannot be searched
(nothing left to look for, a bad filter value, a query too long or too deep)
raises UsageError with a message that says what to type instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from chartdesk.errors import UsageError
from chartdesk.index import filters as F
from chartdesk.index.normalize import match_date_at, normalise_date, simple_tokens

MAX_QUERY_CHARS = 2000
MAX_TERMS = 64
MAX_DEPTH = 12
MIN_PREFIX_CHARS = 2


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True, slots=True)
class Word:
    """One word as typed. `initial`: a name initial, which need not match."""

    text: str
    initial: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear together, in this order (text as typed).

    `quoted` is False for one typed token that holds several words (x-ray, 10:30).
    """

    text: str
    quoted: bool = True


@dataclass(frozen=True, slots=True)
class Prefix:
    """Words beginning with `text` (typed as `text*`)."""

    text: str


@dataclass(frozen=True, slots=True)
class DateTerm:
    """A date written in the query, in whatever form."""

    value: dt.date


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """A filter typed in the box (class:lab_result). Filters, does not score."""

    filter: F.Filter


@dataclass(frozen=True, slots=True)
class MatchEverything:
    """Every document (an empty box or a lone *)."""


@dataclass(frozen=True, slots=True)
class QueryAnd:
    parts: tuple[QueryNode, ...]


@dataclass(frozen=True, slots=True)
class QueryOr:
    """Any of the parts. `synonyms`: the parts are other forms of one concept
    (made by synonyms.expand_synonyms; the first part is what was typed)."""

    parts: tuple[QueryNode, ...]
    synonyms: bool = False


@dataclass(frozen=True, slots=True)
class QueryNot:
    part: QueryNode


QueryNode = Word | Phrase | Prefix | DateTerm | FieldFilter | MatchEverything | QueryAnd | QueryOr | QueryNot


def leaves(node: QueryNode) -> Iterator[QueryNode]:
    """The leaf nodes of a tree, left to right."""
    match node:
        case QueryAnd(parts=parts) | QueryOr(parts=parts):
            for part in parts:
                yield from leaves(part)
        case QueryNot(part=part):
            yield from leaves(part)
        case _:
            yield node


def positive_leaves(node: QueryNode) -> Iterator[QueryNode]:
    """Leaves that are not under a NOT (the ones a snippet may highlight)."""
    match node:
        case QueryAnd(parts=parts) | QueryOr(parts=parts):
            for part in parts:
                yield from positive_leaves(part)
        case QueryNot():
            return
        case _:
            yield node


def is_scoring(node: QueryNode) -> bool:
    """True when the tree has a leaf that ranks documents (not only filters)."""
    return any(isinstance(leaf, Word | Phrase | Prefix | DateTerm) for leaf in positive_leaves(node))


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # WORD PHRASE PREFIX DATE FIELD STAR AND OR NOT LP RP
    text: str = ""
    value: object = None


_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c"}
_STOP = set('()"\u201c\u201d\u201e') | {" ", "\t", "\n", "\r", "\f", "\v"}
_FIELD = re.compile(r"^([A-Za-z_]+):(.*)$", re.DOTALL)


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch in "()":
            toks.append(_Tok("LP" if ch == "(" else "RP"))
            pos += 1
        elif ch in _QUOTES:
            pos = _lex_phrase(text, pos, toks)
        elif ch in "-!" and pos + 1 < len(text) and not text[pos + 1].isspace() and text[pos + 1] not in "-!)":
            toks.append(_Tok("NOT"))
            pos += 1
        else:
            pos = _lex_bare(text, pos, toks)
    return toks


def _lex_phrase(text: str, pos: int, toks: list[_Tok]) -> int:
    close = _QUOTES[text[pos]]
    end = text.find(close, pos + 1)
    if end < 0 and close != '"':
        end = text.find('"', pos + 1)
    content = text[pos + 1 : end if end >= 0 else len(text)]
    toks.append(_Tok("PHRASE", content))
    return len(text) if end < 0 else end + 1


def _lex_bare(text: str, pos: int, toks: list[_Tok]) -> int:
    date = match_date_at(text, pos) if text[pos].isalnum() else None
    if date is not None and (date.end == len(text) or not text[date.end].isalnum()):
        toks.append(_Tok("DATE", text[pos : date.end], date.value))
        return date.end
    end = pos
    while end < len(text) and text[end] not in _STOP:
        end += 1
    raw = text[pos:end]
    field = _FIELD.match(raw)
    if field and field.group(1).lower() in FIELD_NAMES:
        value, end = field.group(2), end
        if not value and end < len(text) and text[end] in _QUOTES:
            close = _QUOTES[text[end]]
            stop = text.find(close, end + 1)
            value = text[end + 1 : stop if stop >= 0 else len(text)]
            end = len(text) if stop < 0 else stop + 1
        toks.append(_Tok("FIELD", field.group(1).lower(), value))
    elif raw in _OPERATORS:
        toks.append(_Tok(_OPERATORS[raw]))
    elif raw.strip("*") == "" and "*" in raw:
        toks.append(_Tok("STAR"))
    else:
        toks.append(_word_token(raw))
    return end


def _word_token(raw: str) -> _Tok:
    word = raw.lstrip("+*")
    if word.endswith("*"):
        return _Tok("PREFIX", word.rstrip("*"))
    return _Tok("WORD", word)


# ---------------------------------------------------------------- fields


def _keyword(field: str, *, lower: bool, allowed: frozenset[str] | None = None):  # noqa: ANN202
    def build(value: str) -> F.Filter:
        values = [v.strip() for v in value.split(",") if v.strip()]
        values = [v.lower() for v in values] if lower else values
        for v in values:
            if allowed is not None and v not in allowed:
                raise UsageError(
                    f"the value {v[:40]!r} is not known for {_FIELD_LABEL[field]}:",
                    remedy="use one of: " + ", ".join(f"{_FIELD_LABEL[field]}:{a}" for a in sorted(allowed)),
                )
        return F.Term(field, frozenset(values))

    return build


def _patient(value: str) -> F.Filter:
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not all(v.isdigit() for v in ids):
        raise UsageError("the patient: filter takes the patient's number", remedy="type e.g. patient:123")
    return F.Term("patient", frozenset(str(int(v)) for v in ids))


def _doc_ids(value: str) -> F.Filter:
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not all(v.isdigit() and len(v) < 12 for v in ids):
        raise UsageError("the id: filter takes a document number", remedy="type e.g. id:42")
    return F.DocIds(frozenset(int(v) for v in ids))


def _date_range(field: str):  # noqa: ANN202
    def build(value: str) -> F.Filter:
        first, sep, second = value.partition("..")
        if not sep:
            start, end = _date_bounds(value, field)
            return F.DateRange(field, start, end)
        start = _date_bounds(first, field)[0] if first.strip() else None
        end = _date_bounds(second, field)[1] if second.strip() else None
        if start is None and end is None:
            raise _date_error(field, value)
        if start and end and start > end:
            raise UsageError(f"the {_FIELD_LABEL[field]}: range ends before it starts", remedy="put the earlier date first")
        return F.DateRange(field, start, end)

    return build


_YEAR_MONTH = re.compile(r"^(\d{4})(?:[-/](\d{1,2}))?$")


def _date_bounds(text: str, field: str) -> tuple[dt.date, dt.date]:
    """The first and last day a written date, month (2026-03) or year (2026) covers."""
    text = text.strip()
    exact = normalise_date(text)
    if exact is not None:
        return exact, exact
    partial = _YEAR_MONTH.match(text)
    if partial:
        year, month = int(partial.group(1)), partial.group(2)
        if 1850 <= year <= 2150 and (month is None or 1 <= int(month) <= 12):
            if month is None:
                return dt.date(year, 1, 1), dt.date(year, 12, 31)
            first = dt.date(year, int(month), 1)
            following = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return first, following - dt.timedelta(days=1)
    raise _date_error(field, text)


def _date_error(field: str, text: str) -> UsageError:
    label = _FIELD_LABEL[field]
    return UsageError(
        f"could not read {text[:40]!r} as a date for {label}:",
        remedy=f"write e.g. {label}:2026-03-01..2026-03-31, {label}:2026-03 or {label}:03/15/2026",
    )


_STATUS = frozenset({"unclassified", "review", "filed"})
_CHART = frozenset({"restricted", "open"})
_SOURCES = frozenset({"scan", "fax", "dictation", "upload"})

FIELD_NAMES = {
    "class": _keyword("doc_class", lower=True),
    "type": _keyword("doc_class", lower=True),
    "patient": _patient,
    "source": _keyword("source", lower=True, allowed=_SOURCES),
    "inbox": _keyword("inbox", lower=True),
    "label": _keyword("labels", lower=False),
    "labels": _keyword("labels", lower=False),
    "status": _keyword("status", lower=True, allowed=_STATUS),
    "chart": _keyword("chart", lower=True, allowed=_CHART),
    "date": _date_range("doc_date"),
    "received": _date_range("received"),
    "id": _doc_ids,
}
_FIELD_LABEL = {
    "doc_class": "class", "patient": "patient", "source": "source", "inbox": "inbox",
    "labels": "label", "status": "status", "chart": "chart", "doc_date": "date", "received": "received",
}


def _field_filter(name: str, value: object) -> FieldFilter:
    text = str(value)
    if not text.strip():
        raise UsageError(f"the {name}: filter needs a value", remedy=f"type e.g. {_EXAMPLES.get(name, name + ':value')}")
    return FieldFilter(FIELD_NAMES[name](text))


_EXAMPLES = {"class": "class:lab_result", "type": "type:lab_result", "date": "date:2026-03-01..2026-03-31"}


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, toks: list[_Tok], *, name_layout: bool) -> None:
        self.toks = toks
        self.pos = 0
        self.depth = 0
        self.name_layout = name_layout

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> QueryNode | None:
        parts: list[QueryNode] = []
        while self.peek() is not None:
            node = self.or_expr()
            if node is not None:
                parts.append(node)
            if self.peek() is not None and self.peek().kind == "RP":  # type: ignore[union-attr]
                self.take()  # a stray ")" is ignored
        return _and(parts)

    def or_expr(self) -> QueryNode | None:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            parts.append(self.and_expr())
        return _or([p for p in parts if p is not None])

    def and_expr(self) -> QueryNode | None:
        parts: list[QueryNode] = []
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RP"):
            if tok.kind == "AND":
                self.take()
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        return _and(parts)

    def unary(self) -> QueryNode | None:
        tok = self.peek()
        if tok is not None and tok.kind == "NOT":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "RP", "AND"):
                return None  # a NOT with nothing after it
            part = self.nested(self.unary)
            return QueryNot(part) if part is not None else None
        return self.primary()

    def nested(self, rule):  # noqa: ANN001, ANN202
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise UsageError("the search is nested too deeply", remedy=f"use at most {MAX_DEPTH} levels of brackets and NOTs")
        try:
            return rule()
        finally:
            self.depth -= 1

    def primary(self) -> QueryNode | None:
        tok = self.take()
        if tok.kind == "LP":
            node = self.nested(self.or_expr)
            if (close := self.peek()) is not None and close.kind == "RP":
                self.take()
            return node
        return self.leaf(tok)

    def leaf(self, tok: _Tok) -> QueryNode | None:
        match tok.kind:
            case "WORD":
                return self.word(tok.text)
            case "PHRASE":
                return _phrase(tok.text)
            case "PREFIX":
                return _prefix(tok.text)
            case "DATE":
                return DateTerm(tok.value)  # type: ignore[arg-type]
            case "FIELD":
                return _field_filter(tok.text, tok.value)
            case "STAR":
                return MatchEverything()
        return None  # a stray operator

    def word(self, text: str) -> QueryNode | None:
        tokens = simple_tokens(text)
        if not tokens:
            return None
        if len(tokens) > 1:
            return Phrase(text, quoted=False)
        initial = len(tokens[0]) == 1 and tokens[0].isalpha() and (self.name_layout or text.rstrip().endswith("."))
        return Word(text.strip(",.;:!?'`"), initial=initial)


def _phrase(text: str) -> QueryNode | None:
    tokens = simple_tokens(text)
    if not tokens:
        return None
    date = normalise_date(text)
    if date is not None:
        return DateTerm(date)
    return Word(text.strip()) if len(tokens) == 1 and simple_tokens(text.strip()) == tokens else Phrase(text)


def _prefix(text: str) -> QueryNode | None:
    tokens = simple_tokens(text)
    if not tokens:
        return None
    if len(tokens[-1]) < MIN_PREFIX_CHARS and len(tokens) == 1:
        raise UsageError("a word ending in * needs at least two letters before the *", remedy="type e.g. card*")
    return Prefix(text)


def _and(parts: list[QueryNode]) -> QueryNode | None:
    parts = [p for p in parts if not isinstance(p, MatchEverything)] or parts[:1]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else QueryAnd(tuple(parts))


def _or(parts: list[QueryNode]) -> QueryNode | None:
    if not parts:
        return None
    if any(isinstance(p, MatchEverything) for p in parts):
        return MatchEverything()
    return parts[0] if len(parts) == 1 else QueryOr(tuple(parts))


def parse_query(text: str) -> QueryNode:
    """Parse what was typed in the search box. Raises UsageError, never crashes."""
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(
            f"the search is too long ({len(text)} characters)",
            remedy=f"shorten it to at most {MAX_QUERY_CHARS} characters",
        )
    toks = _lex(text)
    name_layout = any(t.kind == "WORD" and t.text.endswith(",") for t in toks)
    tree = _Parser(toks, name_layout=name_layout).parse()
    if tree is None:
        if not text.strip():
            return MatchEverything()
        raise UsageError(
            "there is nothing to search for in what was typed",
            remedy="type a word, a name, a date, or a filter such as class:lab_result",
        )
    if sum(1 for _ in leaves(tree)) > MAX_TERMS:
        raise UsageError("the search has too many words", remedy=f"use at most {MAX_TERMS} words and filters")
    return tree
