"""The types every pipeline stage speaks: the document it is given, the frozen
context it runs in, and the result it returns. The stage table itself lives in
`pipeline.py`; stages live in their rooms (ocr/, transcription/, classify/...).

A stage reads what earlier stages stored, does its work outside any database
transaction, and returns a `StageResult`. The pipeline commits the result and
the next state in one short transaction that checks the worker still holds its
lease; `record` is how a stage's findings reach the database in that transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection

from chartdesk.config import Settings


class State:
    """Document states (DESIGN.md). Plain strings in the database."""

    received = "received"
    extracted = "extracted"
    classified = "classified"
    matched = "matched"
    needs_review = "needs_review"
    indexed = "indexed"
    rejected = "rejected"
    parked = "parked"
    no_speech = "no_speech"
    destroyed = "destroyed"

    # States whose documents belong in the search index.
    INDEXABLE = frozenset({extracted, classified, matched, needs_review, indexed})
    # States a document stops in until a person acts.
    TERMINAL = frozenset({indexed, needs_review, rejected, parked, no_speech, destroyed})


@dataclass(frozen=True, slots=True)
class Doc:
    """What a stage knows of the document it runs on (a read-only snapshot)."""

    id: int
    sha256: str
    size_bytes: int
    media_type: str
    kind: str  # pdf | image | audio
    original_name: str
    source: str
    inbox: str | None
    received_at: dt.datetime
    state: str
    stage: str | None
    generation: int
    attempts: int
    page_count: int | None = None
    flags: Mapping[str, Any] = field(default_factory=dict)
    doc_class: str | None = None
    patient_id: int | None = None
    labels: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> Doc:
        m = row._mapping
        return cls(
            id=m["id"],
            sha256=m["sha256"],
            size_bytes=m["size_bytes"],
            media_type=m["media_type"],
            kind=m["kind"],
            original_name=m["original_name"],
            source=m["source"],
            inbox=m["inbox"],
            received_at=m["received_at"],
            state=m["state"],
            stage=m["stage"],
            generation=m["generation"],
            attempts=m["attempts"],
            page_count=m["page_count"],
            flags=dict(m["flags"] or {}),
            doc_class=m["doc_class"],
            patient_id=m["patient_id"],
            labels=tuple(m["labels"] or ()),
        )


class Heartbeat(Protocol):
    """Called by long stages between units of work (pages, segments).

    Renews the worker's lease; raises LeaseLostError when another worker has
    taken the document over, so the stage stops early instead of wasting work.
    """

    def __call__(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StageContext:
    settings: Settings
    blob_path: Callable[[str], Path]  # sha256 -> path of the original in the store
    derived_dir: Callable[[int], Path]  # document id -> its folder of derived files
    worker_id: str
    heartbeat: Heartbeat


Recorder = Callable[[Connection], None]


@dataclass(frozen=True, slots=True)
class StageResult:
    """What a stage learned.

    state:    the state the document reaches (e.g. "extracted", "no_speech").
    summary:  JSON-able provenance stored in stage_results: engine, version,
              options, counts, timings. No patient data.
    updates:  columns of `documents` to set (page_count, flags, doc_class, ...).
    record:   writes the stage's findings (pages, segments, candidates) inside the
              commit transaction. Must be idempotent per document: replace, not append.
    warnings: soft failures a person may want to see (an empty page, a page that
              timed out); shown by `chartdesk status` and stored with the result.
    done:     True when no later stage should run (e.g. no speech was found).
    """

    state: str
    summary: Mapping[str, Any] = field(default_factory=dict)
    updates: Mapping[str, Any] = field(default_factory=dict)
    record: Recorder | None = None
    warnings: tuple[str, ...] = ()
    done: bool = False


class Stage(Protocol):
    """A pipeline stage: a module or object with a name and these two functions.

    A stage may also have `warm_up(settings)`, which a worker calls once when it
    starts so that its first document does not pay for loading an engine or a
    model (OCR, the classifier). Speech models load on the first audio job only.
    """

    name: str

    def applies(self, doc: Doc, ctx: StageContext) -> bool: ...

    def run(self, doc: Doc, ctx: StageContext) -> StageResult: ...
