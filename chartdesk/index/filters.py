"""Filters that every search backend applies inside its own query.

The access policy builds one of these with `visible_filter(principal)`, the
search form builds others from the user's choices; each backend translates the
tree into its engine's query so that counts, snippets and facets never include
a document the filter excludes.

Fields (all keyword fields in every backend):
  doc_class, source, inbox, labels, status, patient, chart
and `doc_id` (integer), `doc_date` and `received` (date ranges).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

KEYWORD_FIELDS = frozenset({"doc_class", "source", "inbox", "labels", "status", "patient", "chart"})
DATE_FIELDS = frozenset({"doc_date", "received"})


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


@dataclass(frozen=True, slots=True)
class MatchNone:
    pass


@dataclass(frozen=True, slots=True)
class Term:
    """The document's `field` holds at least one of `values`."""

    field: str
    values: frozenset[str]

    def __post_init__(self) -> None:
        if self.field not in KEYWORD_FIELDS:
            raise ValueError(f"not a keyword field: {self.field}")


@dataclass(frozen=True, slots=True)
class DocIds:
    ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive on both ends; an open end is None."""

    field: str
    start: dt.date | None = None
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.field not in DATE_FIELDS:
            raise ValueError(f"not a date field: {self.field}")


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Filter


Filter = MatchAll | MatchNone | Term | DocIds | DateRange | And | Or | Not

MATCH_ALL = MatchAll()  # the default of optional filter arguments (filters are immutable values)


def term(field: str, *values: str) -> Term:
    return Term(field, frozenset(values))


def all_of(*parts: Filter) -> Filter:
    kept = tuple(p for p in parts if not isinstance(p, MatchAll))
    if any(isinstance(p, MatchNone) for p in kept):
        return MatchNone()
    if not kept:
        return MatchAll()
    return kept[0] if len(kept) == 1 else And(kept)


def any_of(*parts: Filter) -> Filter:
    kept = tuple(p for p in parts if not isinstance(p, MatchNone))
    if any(isinstance(p, MatchAll) for p in kept):
        return MatchAll()
    if not kept:
        return MatchNone()
    return kept[0] if len(kept) == 1 else Or(kept)


def evaluate(f: Filter, fields: dict[str, object]) -> bool:
    """The reference meaning of a filter on one document's field values.

    `fields` maps keyword fields to a str or a collection of str, `doc_id` to an
    int and date fields to a date or None. Tests compare every backend with this.
    """
    match f:
        case MatchAll():
            return True
        case MatchNone():
            return False
        case Term(field=name, values=values):
            have = fields.get(name)
            if have is None:
                return False
            have_set = {have} if isinstance(have, str) else set(have)  # type: ignore[arg-type]
            return bool(have_set & values)
        case DocIds(ids=ids):
            return fields.get("doc_id") in ids
        case DateRange(field=name, start=start, end=end):
            value = fields.get(name)
            if not isinstance(value, dt.date):
                return False
            return (start is None or value >= start) and (end is None or value <= end)
        case And(parts=parts):
            return all(evaluate(p, fields) for p in parts)
        case Or(parts=parts):
            return any(evaluate(p, fields) for p in parts)
        case Not(part=part):
            return not evaluate(part, fields)
    raise TypeError(f"unknown filter {f!r}")
