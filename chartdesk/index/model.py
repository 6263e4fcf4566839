"""The SearchIndex interface every backend implements, and the values it speaks.

`visible` is mandatory in `search`: it is the principal's access filter
(access.visible_filter) and every backend applies it inside its engine query,
together with `filters`, so totals, pages and snippets never include a document
the filter excludes. Nothing is filtered after the engine has answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from chartdesk.index.filters import MATCH_ALL, Filter

PAGE_BREAK = "\f"  # IndexDocument.text joins pages with this; hits name their page by it

STATUSES = ("unclassified", "review", "filed")


@dataclass(frozen=True, slots=True)
class IndexDocument:
    """Everything a backend indexes about one document.

    text:            the pages' text joined with PAGE_BREAK
    patient_names:   names of the chart's patient (found even when the text misspells them)
    status:          "unclassified" | "review" | "filed"
    chart_restricted: the patient's chart is restricted (filter field chart = "restricted")
    """

    doc_id: int
    text: str
    title: str
    doc_class: str | None
    source: str
    inbox: str | None
    patient_id: int | None
    patient_names: tuple[str, ...]
    patient_birth_date: dt.date | None
    doc_date: dt.date | None
    received: dt.date
    labels: tuple[str, ...]
    status: str
    chart_restricted: bool

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    @property
    def chart(self) -> str:
        return "restricted" if self.chart_restricted else "open"

    def keyword_values(self) -> dict[str, tuple[str, ...]]:
        """The values of each keyword filter field (filters.KEYWORD_FIELDS)."""
        return {
            "doc_class": (self.doc_class,) if self.doc_class else (),
            "source": (self.source,),
            "inbox": (self.inbox,) if self.inbox else (),
            "labels": self.labels,
            "status": (self.status,),
            "patient": (str(self.patient_id),) if self.patient_id is not None else (),
            "chart": (self.chart,),
        }

    def filter_fields(self) -> dict[str, object]:
        """This document as `filters.evaluate` reads it (the reference meaning)."""
        fields: dict[str, object] = {k: v for k, v in self.keyword_values().items() if v}
        fields.update(doc_id=self.doc_id, doc_date=self.doc_date, received=self.received)
        return fields


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. `snippet` is safe HTML: text escaped, matches in <mark>."""

    doc_id: int
    score: float
    snippet: str
    page: int | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    total: int
    hits: tuple[Hit, ...]
    offset: int = 0
    limit: int = 20

    @property
    def doc_ids(self) -> list[int]:
        return [h.doc_id for h in self.hits]


@runtime_checkable
class SearchIndex(Protocol):
    """A search backend. One writer at a time; readers `reload()` to see commits."""

    def add(self, docs: Iterable[IndexDocument]) -> None:
        """Add or replace documents (idempotent by doc_id). Visible after commit()."""

    def remove(self, doc_ids: Iterable[int]) -> None:
        """Remove documents by id (absent ids are fine). Visible after commit()."""

    def commit(self) -> None:
        """Make added and removed documents durable and visible to this object."""

    def search(
        self, query: str, *, visible: Filter, filters: Filter = MATCH_ALL, offset: int = 0, limit: int = 20
    ) -> SearchResults:
        """Search; `visible` and `filters` are applied inside the engine query."""

    def reload(self) -> None:
        """See what other processes have committed."""

    def count(self) -> int:
        """Number of documents in the index."""

    def clear(self) -> None:
        """Remove every document (committed at once)."""

    def identity(self) -> str:
        """Changes whenever the index is created anew or cleared (the feed rebuilds then)."""

    def close(self) -> None:
        """Release the writer (if any) and files."""


@runtime_checkable
class Rebuildable(Protocol):
    """A backend that rebuilds beside the live index, so searches never see a gap
    (feed.rebuild uses it when the backend offers it, else clears and refills)."""

    def begin_rebuild(self) -> SearchIndex:
        """A new, empty index for writing, not yet searched by anyone."""

    def publish(self, staged: SearchIndex) -> None:
        """Make the committed `staged` index the live one in one step (its identity
        becomes this index's identity) and drop the old one."""

    def discard(self, staged: SearchIndex) -> None:
        """Drop a rebuild that did not finish."""


@runtime_checkable
class Expungeable(Protocol):
    """A backend that can drop removed documents' stored copies on request."""

    def expunge(self) -> bool:
        """Rewrite what still holds removed documents; True when none is left."""
