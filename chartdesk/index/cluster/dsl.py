"""Query trees and filters as OpenSearch / Elasticsearch query DSL (the two
engines share it for everything used here).

The translation mirrors tantivy_query.QueryBuilder clause for clause, with its
boosts, so both backends find the same documents and rank alike: each word is a
dis_max over ways it can match (exact word, stem, title, patient name, one typo,
OCR-folded, OCR-near); filters score nothing and sit in the same engine query
(bool filter clauses), so they bound totals, pages and snippets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chartdesk.index import filters as F
from chartdesk.index.cluster.mapping import OCR_NEAR_MIN_CHARS, near_token
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
from chartdesk.index.tantivy_query import (
    BOOST,
    FUZZY_MIN_CHARS,
    OCR_NEAR_MAX_TERMS,
    PROXIMITY_SLOP,
    SYNONYM_WEIGHT,
    TIE_BREAKER,
)
from chartdesk.index.tantivy_schema import Analyzers

Dsl = dict[str, Any]
FUZZY_MAX_TERMS = 64
MATCH_ALL: Dsl = {"match_all": {}}
MATCH_NONE: Dsl = {"match_none": {}}


class DslBuilder:
    def __init__(self, analyzers: Analyzers, *, fuzzy: bool, fold_ocr: bool = True) -> None:
        self.an = analyzers
        self.fuzzy = fuzzy
        self.fold_ocr = fold_ocr
        self._negated = 0

    # ------------------------------------------------------------ user query

    def build(self, node: QueryNode) -> Dsl:
        """The engine query for a tree (match_none when nothing is left to match)."""
        self._negated = 0
        q = self._node(node)
        return q if q is not None else MATCH_NONE

    @property
    def _loose(self) -> bool:
        """Fuzzy and OCR matching widen what is found, never what a NOT excludes."""
        return self._negated == 0

    def _node(self, node: QueryNode) -> Dsl | None:
        handlers: dict[type, Callable[[Any], Dsl | None]] = {
            Word: self._word,
            Phrase: self._phrase,
            Prefix: self._prefix,
            DateTerm: self._date,
            FieldFilter: lambda n: const(self.filter(n.filter)),
            MatchEverything: lambda _n: {"match_all": {}},
            QueryAnd: self._and,
            QueryOr: self._or,
            QueryNot: lambda n: self._not(n.part),
        }
        return handlers[type(node)](node)

    def _word(self, node: Word) -> Dsl | None:
        raw = self.an.raw_tokens(node.text)
        if len(raw) != 1:
            return self._phrase(Phrase(node.text)) if raw else None
        r = raw[0]
        clauses = [
            _match("text.raw", r, "exact"),
            _match("text", node.text, "stem"),
            _match("title", node.text, "title"),
            _match("names", r, "names"),
        ]
        if self._loose and self.fuzzy and len(r) >= FUZZY_MIN_CHARS and not r.isdigit():
            clauses.append(_fuzzy("text.raw", r, 1, "fuzzy"))
            clauses.append(_fuzzy("names", r, 1, "names_fuzzy"))
        if self._loose and self.fold_ocr and any(ch.isalpha() for ch in r):
            folded = ocr_fold(r)
            clauses.append({"term": {"ocr": {"value": folded, "boost": BOOST["ocr"]}}})
            if (near := self._ocr_near(folded)) is not None:
                clauses.append(near)
        return _dis_max(clauses)

    def _ocr_near(self, folded: str) -> Dsl | None:
        """OCR-folded words two edits from a long word, same first two letters,
        length within one: a fuzzy query per length on ocr_near, whose terms carry
        their length, so the length rule holds exactly."""
        if not self.fuzzy or len(folded) < OCR_NEAR_MIN_CHARS:
            return None
        per_length = [
            {
                "fuzzy": {
                    "ocr_near": {
                        "value": near_token(folded, length),
                        "fuzziness": 2,
                        "prefix_length": 4,  # two length digits and the first two letters
                        "transpositions": True,
                        "max_expansions": OCR_NEAR_MAX_TERMS,
                    }
                }
            }
            for length in (len(folded) - 1, len(folded), len(folded) + 1)
        ]
        return {"bool": {"should": per_length, "boost": BOOST["ocr_near"]}}

    def _phrase(self, node: Phrase) -> Dsl | None:
        raw = self.an.raw_tokens(node.text)
        if len(raw) < 2:
            return self._word(Word(node.text)) if raw else None
        clauses = [
            _phrase_q("text.raw", node.text, "phrase"),
            _phrase_q("text", node.text, "phrase_stem"),
            _phrase_q("names", node.text, "phrase_names"),
            _phrase_q("title", node.text, "title"),
        ]
        if self._loose and self.fold_ocr:
            clauses.append(_phrase_q("ocr", " ".join(ocr_fold(t) for t in raw), "ocr"))
        return _dis_max(clauses)

    def _prefix(self, node: Prefix) -> Dsl | None:
        raw = self.an.raw_tokens(node.text)
        if not raw:
            return None
        if len(raw) > 1:
            return {"match_phrase_prefix": {"text.raw": {"query": " ".join(raw), "boost": BOOST["prefix"]}}}
        return _dis_max([
            {"prefix": {"text.raw": {"value": raw[0], "boost": BOOST["prefix"]}}},
            {"prefix": {"names": {"value": raw[0], "boost": BOOST["prefix_names"]}}},
        ])

    def _date(self, node: DateTerm) -> Dsl:
        token = date_token(node.value)
        return _dis_max([
            {"term": {"dates": {"value": token, "boost": BOOST["date"]}}},
            {"term": {"birth": {"value": token, "boost": BOOST["birth"]}}},
        ])

    def _and(self, node: QueryAnd) -> Dsl | None:
        required = [p for p in node.parts if not isinstance(p, QueryNot) and not _is_initial(p)]
        initials = [p for p in node.parts if _is_initial(p)]
        if not required:
            required, initials = initials, []
        must = [q for p in required if (q := self._node(p)) is not None]
        should = [q for p in initials if (q := self._node(p)) is not None]
        must_not = [q for p in node.parts if isinstance(p, QueryNot) and (q := self._excluded(p.part)) is not None]
        if not must:
            if not must_not:
                return None
            must.append(const(MATCH_ALL))
        if (near := self._proximity(required)) is not None:
            should.append(near)
        return {"bool": {"must": must, "should": should, "must_not": must_not}}

    def _proximity(self, parts: list[QueryNode]) -> Dsl | None:
        """Words typed side by side rank higher when they stand close together."""
        tokens = [t for p in parts if isinstance(p, Word) for t in self.an.raw_tokens(p.text)]
        if len(tokens) < 2:
            return None
        return {"match_phrase": {"text.raw": {"query": " ".join(tokens), "slop": PROXIMITY_SLOP, "boost": BOOST["proximity"]}}}

    def _or(self, node: QueryOr) -> Dsl | None:
        if node.synonyms:
            return self._synonyms(node)
        subs = [q for p in node.parts if (q := self._node(p)) is not None]
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else {"bool": {"should": subs}}

    def _synonyms(self, node: QueryOr) -> Dsl | None:
        """Forms of one concept score alike (tantivy_query.QueryBuilder._synonyms)."""
        subs = []
        for number, part in enumerate(node.parts):
            q = self._node(part)
            if q is not None:
                words = max(1, len(self.an.raw_tokens(_text_of(part))))
                subs.append(q if number == 0 else boosted(q, SYNONYM_WEIGHT / words))
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else _dis_max(subs)

    def _excluded(self, part: QueryNode) -> Dsl | None:
        self._negated += 1
        try:
            return self._node(part)
        finally:
            self._negated -= 1

    def _not(self, part: QueryNode) -> Dsl | None:
        inner = self._excluded(part)
        if inner is None:
            return None
        return {"bool": {"must": [const(MATCH_ALL)], "must_not": [inner]}}

    # ------------------------------------------------------------ filters

    def filter(self, f: F.Filter) -> Dsl:
        """A filters.Filter as a query (same meaning as filters.evaluate)."""
        match f:
            case F.MatchAll():
                return MATCH_ALL
            case F.MatchNone():
                return MATCH_NONE
            case F.Term(field=name, values=values):
                return {"terms": {name: sorted(values)}} if values else MATCH_NONE
            case F.DocIds(ids=ids):
                return {"terms": {"doc_id": sorted(ids)}} if ids else MATCH_NONE
            case F.DateRange(field=name, start=start, end=end):
                return _date_range(name, start, end)
            case F.And(parts=parts):
                return {"bool": {"filter": [self.filter(p) for p in parts]}} if parts else MATCH_ALL
            case F.Or(parts=parts):
                return {"bool": {"should": [self.filter(p) for p in parts], "minimum_should_match": 1}} if parts else MATCH_NONE
            case F.Not(part=part):
                return {"bool": {"must_not": [self.filter(part)]}}
        raise TypeError(f"unknown filter {f!r}")


def _date_range(name: str, start: object, end: object) -> Dsl:
    if start is None and end is None:
        return {"exists": {"field": name}}
    bounds: dict[str, Any] = {"format": "yyyy-MM-dd"}
    if start is not None:
        bounds["gte"] = start.isoformat()  # type: ignore[attr-defined]
    if end is not None:
        bounds["lte"] = end.isoformat()  # type: ignore[attr-defined]
    return {"range": {name: bounds}}


def with_filters(user: Dsl, filters: list[Dsl]) -> Dsl:
    """The engine query: the user's query AND every filter, filters scoring nothing."""
    return {"bool": {"must": [user], "filter": filters}}


def const(q: Dsl) -> Dsl:
    """`q` as a clause that matches but adds nothing to the score."""
    return {"bool": {"filter": [q]}}


def boosted(q: Dsl, boost: float) -> Dsl:
    return {"bool": {"must": [q], "boost": boost}}


def _match(field: str, text: str, kind: str) -> Dsl:
    return {"match": {field: {"query": text, "boost": BOOST[kind]}}}


def _phrase_q(field: str, text: str, kind: str) -> Dsl:
    return {"match_phrase": {field: {"query": text, "boost": BOOST[kind]}}}


def _fuzzy(field: str, token: str, distance: int, kind: str) -> Dsl:
    return {
        "fuzzy": {
            field: {
                "value": token,
                "fuzziness": distance,
                "prefix_length": 0,
                "transpositions": True,
                "max_expansions": FUZZY_MAX_TERMS,
                "boost": BOOST[kind],
            }
        }
    }


def _dis_max(queries: list[Dsl]) -> Dsl:
    return {"dis_max": {"queries": queries, "tie_breaker": TIE_BREAKER}}


def _text_of(node: QueryNode) -> str:
    return node.text if isinstance(node, Word | Phrase) else ""


def _is_initial(node: QueryNode) -> bool:
    return isinstance(node, Word) and node.initial
