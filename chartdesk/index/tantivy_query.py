"""Query trees and filters translated into tantivy queries.

Ranking: each word is a disjunction-max over ways it can match, boosted so that
a phrase beats words side by side, an exact word beats its stem, and a stem
beats a fuzzy or OCR-folded match; the patient's name and the title weigh more
than body text. Filters score nothing (constant 0) and are plain boolean
clauses of the same engine query, so they bound totals, pages and snippets.
"""

from __future__ import annotations

from collections.abc import Callable

import tantivy
from rapidfuzz.distance import OSA
from tantivy import FieldType, Occur, Query

from chartdesk.index import filters as F
from chartdesk.index.normalize import date_token, ocr_fold
from chartdesk.index.query import (
    DateTerm,
    FieldFilter,
    MatchEverything,
    Phrase,
    Prefix,
    QueryAnd,
    QueryNode,
    QueryNot,
    QueryOr,
    Word,
)
from chartdesk.index.tantivy_schema import Analyzers, as_datetime

FUZZY_MIN_CHARS = 5
OCR_NEAR_MIN_CHARS = 8  # long words in OCR text: two confusions still match (bench/search_quality)
OCR_NEAR_MAX_TERMS = 64
PROXIMITY_SLOP = 3
TIE_BREAKER = 0.1
SYNONYM_WEIGHT = 1.0  # another form of the typed concept, per word of that form

# Boosts, highest first: what a person means most likely ranks first.
BOOST = {
    "phrase_names": 6.0,
    "phrase": 4.0,
    "names": 3.0,
    "phrase_stem": 2.5,
    "proximity": 2.0,
    "exact": 2.0,
    "date": 2.0,
    "title": 1.5,
    "birth": 1.5,
    "stem": 1.0,
    "names_fuzzy": 0.8,
    "ocr": 0.5,
    "fuzzy": 0.4,
    "ocr_near": 0.3,
    "prefix": 1.0,
    "prefix_names": 2.0,
}


class QueryBuilder:
    def __init__(self, schema: tantivy.Schema, analyzers: Analyzers, *, fuzzy: bool, fold_ocr: bool) -> None:
        self.schema = schema
        self.an = analyzers
        self.fuzzy = fuzzy
        self.fold_ocr = fold_ocr
        self._searcher: tantivy.Searcher | None = None
        self._negated = 0

    # ------------------------------------------------------------ user query

    def build(self, node: QueryNode, searcher: tantivy.Searcher | None = None) -> Query:
        """The engine query for a tree; `searcher` lets OCR matching look up index terms."""
        self._searcher, self._negated = searcher, 0
        try:
            q = self._node(node)
        finally:
            self._searcher = None
        return q if q is not None else Query.empty_query()

    @property
    def _loose(self) -> bool:
        """Fuzzy and OCR matching widen what is found; under a NOT they would widen
        what is excluded, so there only exact words and stems count."""
        return self._negated == 0

    def _node(self, node: QueryNode) -> Query | None:
        handlers: dict[type, Callable[[QueryNode], Query | None]] = {
            Word: self._word,
            Phrase: self._phrase,
            Prefix: self._prefix,
            DateTerm: self._date,
            FieldFilter: lambda n: _const(self.filter(n.filter)),  # type: ignore[union-attr]
            MatchEverything: lambda _n: Query.all_query(),
            QueryAnd: self._and,
            QueryOr: self._or,
            QueryNot: lambda n: self._not(n.part),  # type: ignore[union-attr]
        }
        return handlers[type(node)](node)

    def _word(self, node: QueryNode) -> Query | None:
        assert isinstance(node, Word)
        raw = self.an.raw_tokens(node.text)
        if len(raw) != 1:
            return self._phrase(Phrase(node.text)) if raw else None
        r, s = raw[0], self.an.stem_tokens(node.text)[0]
        clauses = [
            _boost(self._term("raw", r), "exact"),
            _boost(self._term("text", s), "stem"),
            _boost(self._term("title", s), "title"),
            _boost(self._term("names", r), "names"),
        ]
        if self._loose and self.fuzzy and len(r) >= FUZZY_MIN_CHARS and not r.isdigit():
            clauses.append(_boost(Query.fuzzy_term_query(self.schema, "raw", r, distance=1), "fuzzy"))
            clauses.append(_boost(Query.fuzzy_term_query(self.schema, "names", r, distance=1), "names_fuzzy"))
        if self._loose and self.fold_ocr and any(ch.isalpha() for ch in r):
            clauses.append(_boost(self._term("ocr", ocr_fold(r)), "ocr"))
            if (near := self._ocr_near(ocr_fold(r))) is not None:
                clauses.append(_boost(near, "ocr_near"))
        return Query.disjunction_max_query(clauses, TIE_BREAKER)

    def _ocr_near(self, folded: str) -> Query | None:
        """OCR-folded index terms two edits from a long word, same first two letters
        and length within one (tantivy's distance-2 automaton also matched
        "follow" for "followup" and "cardiology" for "radiology")."""
        if not self.fuzzy or self._searcher is None or len(folded) < OCR_NEAR_MIN_CHARS:
            return None
        candidates = self._searcher.terms_with_prefix("ocr", folded[:2])
        near = [
            t for t, _count in candidates
            if abs(len(t) - len(folded)) <= 1 and t != folded and OSA.distance(t, folded, score_cutoff=2) <= 2
        ][:OCR_NEAR_MAX_TERMS]
        return Query.term_set_query(self.schema, "ocr", near) if near else None

    def _phrase(self, node: QueryNode) -> Query | None:
        assert isinstance(node, Phrase)
        raw = self.an.raw_tokens(node.text)
        if len(raw) < 2:
            return self._word(Word(node.text)) if raw else None
        stem = self.an.stem_tokens(node.text)
        clauses = [
            _boost(Query.phrase_query(self.schema, "raw", raw), "phrase"),
            _boost(Query.phrase_query(self.schema, "text", stem), "phrase_stem"),
            _boost(Query.phrase_query(self.schema, "names", raw), "phrase_names"),
            _boost(Query.phrase_query(self.schema, "title", stem), "title"),
        ]
        if self._loose and self.fold_ocr:
            clauses.append(_boost(Query.phrase_query(self.schema, "ocr", [ocr_fold(t) for t in raw]), "ocr"))
        return Query.disjunction_max_query(clauses, TIE_BREAKER)

    def _prefix(self, node: QueryNode) -> Query | None:
        assert isinstance(node, Prefix)
        raw = self.an.raw_tokens(node.text)
        if not raw:
            return None
        if len(raw) > 1:
            return _boost(Query.phrase_prefix_query(self.schema, "raw", raw), "prefix")
        pattern = prefix_pattern(raw[0])
        return Query.disjunction_max_query(
            [
                _boost(Query.regex_query(self.schema, "raw", pattern), "prefix"),
                _boost(Query.regex_query(self.schema, "names", pattern), "prefix_names"),
            ],
            TIE_BREAKER,
        )

    def _date(self, node: QueryNode) -> Query:
        assert isinstance(node, DateTerm)
        token = date_token(node.value)
        return Query.disjunction_max_query(
            [_boost(self._term("dates", token), "date"), _boost(self._term("birth", token), "birth")],
            TIE_BREAKER,
        )

    def _and(self, node: QueryNode) -> Query | None:
        assert isinstance(node, QueryAnd)
        required = [p for p in node.parts if not isinstance(p, QueryNot) and not _is_initial(p)]
        initials = [p for p in node.parts if _is_initial(p)]
        if not required:
            required, initials = initials, []
        clauses: list[tuple[Occur, Query]] = []
        for part, occur in [(p, Occur.Must) for p in required] + [(p, Occur.Should) for p in initials]:
            q = self._node(part)
            if q is not None:
                clauses.append((occur, q))
        for part in node.parts:
            if isinstance(part, QueryNot) and (q := self._excluded(part.part)) is not None:
                clauses.append((Occur.MustNot, q))
        if not any(occur == Occur.Must for occur, _ in clauses):
            if not any(occur == Occur.MustNot for occur, _ in clauses):
                return None
            clauses.append((Occur.Must, _const(Query.all_query())))
        if (near := self._proximity(required)) is not None:
            clauses.append((Occur.Should, near))
        return Query.boolean_query(clauses)

    def _proximity(self, parts: list[QueryNode]) -> Query | None:
        """Words typed side by side rank higher when they stand close together."""
        tokens = [t for p in parts if isinstance(p, Word) for t in self.an.raw_tokens(p.text)]
        if len(tokens) < 2:
            return None
        return _boost(Query.phrase_query(self.schema, "raw", tokens, slop=PROXIMITY_SLOP), "proximity")

    def _or(self, node: QueryNode) -> Query | None:
        assert isinstance(node, QueryOr)
        if node.synonyms:
            return self._synonyms(node)
        subs = [q for p in node.parts if (q := self._node(p)) is not None]
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else Query.boolean_query([(Occur.Should, q) for q in subs])

    def _synonyms(self, node: QueryOr) -> Query | None:
        """Forms of one concept score alike: the best form counts, and a form of n
        words is scaled by 1/n (a phrase sums n words' scores); the typed form keeps 1."""
        subs = []
        for number, part in enumerate(node.parts):
            q = self._node(part)
            if q is not None:
                words = max(1, len(self.an.raw_tokens(_text_of(part))))
                subs.append(q if number == 0 else Query.boost_query(q, SYNONYM_WEIGHT / words))
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else Query.disjunction_max_query(subs, TIE_BREAKER)

    def _excluded(self, part: QueryNode) -> Query | None:
        self._negated += 1
        try:
            return self._node(part)
        finally:
            self._negated -= 1

    def _not(self, part: QueryNode) -> Query | None:
        inner = self._excluded(part)
        if inner is None:
            return None
        return Query.boolean_query([(Occur.Must, _const(Query.all_query())), (Occur.MustNot, inner)])

    def _term(self, field: str, value: str) -> Query:
        return Query.term_query(self.schema, field, value)

    # ------------------------------------------------------------ filters

    def filter(self, f: F.Filter) -> Query:
        """A filters.Filter as a tantivy query (same meaning as filters.evaluate)."""
        match f:
            case F.MatchAll():
                return Query.all_query()
            case F.MatchNone():
                return Query.empty_query()
            case F.Term(field=name, values=values):
                return Query.term_set_query(self.schema, name, sorted(values)) if values else Query.empty_query()
            case F.DocIds(ids=ids):
                return Query.term_set_query(self.schema, "doc_id", sorted(ids)) if ids else Query.empty_query()
            case F.DateRange(field=name, start=start, end=end):
                return self._date_range(name, start, end)
            case F.And(parts=parts):
                return _bool_or_all([(Occur.Must, self.filter(p)) for p in parts])
            case F.Or(parts=parts):
                return Query.boolean_query([(Occur.Should, self.filter(p)) for p in parts]) if parts else Query.empty_query()
            case F.Not(part=part):
                return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, self.filter(part))])
        raise TypeError(f"unknown filter {f!r}")

    def _date_range(self, name: str, start: object, end: object) -> Query:
        if start is None and end is None:
            return Query.exists_query(name)
        return Query.range_query(
            self.schema,
            name,
            FieldType.Date,
            as_datetime(start) if start is not None else None,  # type: ignore[arg-type]
            as_datetime(end) if end is not None else None,  # type: ignore[arg-type]
        )


def _text_of(node: QueryNode) -> str:
    return node.text if isinstance(node, Word | Phrase) else ""


def prefix_pattern(token: str) -> str:
    """A regex for words starting with `token` (analysed tokens are letters and digits)."""
    safe = "".join(ch if ch.isalnum() else f"\\{ch}" for ch in token)
    return safe + ".*"


def _is_initial(node: QueryNode) -> bool:
    return isinstance(node, Word) and node.initial


def _boost(q: Query, kind: str) -> Query:
    return Query.boost_query(q, BOOST[kind])


def _const(q: Query) -> Query:
    return Query.const_score_query(q, 0.0)


def _bool_or_all(clauses: list[tuple[Occur, Query]]) -> Query:
    return Query.boolean_query(clauses) if clauses else Query.all_query()


def with_filters(user: Query, filters: list[Query]) -> Query:
    """The engine query: the user's query AND every filter, filters scoring 0."""
    return Query.boolean_query([(Occur.Must, user)] + [(Occur.Must, _const(f)) for f in filters])
