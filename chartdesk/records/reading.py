"""Reading records as a principal, audited: what the search, chart and document
pages and the CLI's `search` call. Every function asks the access policy and
writes its audit event (also for a refused or missing document) before anything
is shown. Callers see only the values defined here.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from chartdesk import access, audit, charts, ocr, transcription
from chartdesk.access import DocumentNotFoundError, Principal
from chartdesk.app import App
from chartdesk.db import documents, pages, patients, transcript_segments
from chartdesk.errors import NotFoundError
from chartdesk.index import DateRange as IndexDateRange
from chartdesk.index import Filter, LiveIndex, MatchAll, all_of, term

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchForm:
    """What the search page's form holds (all optional)."""

    q: str = ""
    doc_class: str = ""
    patient: str = ""  # a patient id
    source: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1

    def filters(self) -> Filter:
        parts: list[Filter] = []
        if self.doc_class:
            parts.append(term("doc_class", self.doc_class))
        if self.patient:
            parts.append(term("patient", self.patient))
        if self.source:
            parts.append(term("source", self.source))
        if self.date_from or self.date_to:
            parts.append(IndexDateRange("doc_date", self.date_from, self.date_to))
        return all_of(*parts) if parts else MatchAll()

    def audit_filters(self) -> dict[str, Any]:
        values = {"class": self.doc_class, "patient": self.patient, "source": self.source,
                  "from": self.date_from, "to": self.date_to}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class DocumentSummary:
    doc_id: int
    title: str
    doc_class: str | None
    source: str
    patient_id: int | None
    patient_name: str | None
    doc_date: dt.date | None
    received_at: dt.datetime
    page_count: int | None
    state: str


@dataclass(frozen=True)
class SearchHit:
    doc: DocumentSummary
    snippet: str  # safe HTML from the index (text escaped, matches in <mark>)
    page: int | None


@dataclass(frozen=True)
class SearchPage:
    form: SearchForm
    total: int
    hits: tuple[SearchHit, ...]
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def live_index(app: App, cache: dict[str, Any]) -> LiveIndex:
    index = cache.get("index")
    if index is None:
        index = cache["index"] = LiveIndex.open(app.db, app.settings)
    return index  # type: ignore[no-any-return]


def search(app: App, index: LiveIndex, principal: Principal, form: SearchForm) -> SearchPage:
    """One page of results the principal may see; the access filter is inside the engine query."""
    size = app.settings.search.page_size
    offset = (max(1, form.page) - 1) * size
    with app.db.read() as conn:
        visible = access.search_scope(conn, principal)
    found = index.search(form.q or "*", visible=visible, filters=form.filters(), offset=offset, limit=size)
    with app.db.read() as conn:
        summaries = summaries_of(conn, [h.doc_id for h in found.hits])
    hits = tuple(SearchHit(summaries[h.doc_id], h.snippet, h.page) for h in found.hits if h.doc_id in summaries)
    with app.db.write() as conn:
        audit.record(conn, audit.Search(principal=principal, query=form.q, filters=form.audit_filters(),
                                        result_count=found.total, offset=offset))
    return SearchPage(form, found.total, hits, size)


def summaries_of(conn: Connection, doc_ids: Sequence[int]) -> dict[int, DocumentSummary]:
    if not doc_ids:
        return {}
    rows = conn.execute(
        select(documents.c.id, documents.c.original_name, documents.c.flags, documents.c.doc_class, documents.c.source,
               documents.c.patient_id, documents.c.doc_date, documents.c.received_at, documents.c.page_count,
               documents.c.state, patients.c.family_name, patients.c.given_name)
        .select_from(documents.outerjoin(patients, patients.c.id == documents.c.patient_id))
        .where(documents.c.id.in_(list(doc_ids)))
    ).all()
    return {r.id: _summary(r) for r in rows}


def _summary(r: Any) -> DocumentSummary:
    title = str((r.flags or {}).get("title") or _class_title(r.doc_class) or "Document")
    name = f"{r.family_name}, {r.given_name}" if r.family_name is not None else None
    return DocumentSummary(r.id, title, r.doc_class, r.source, r.patient_id, name, r.doc_date, r.received_at,
                           r.page_count, r.state)


def _class_title(doc_class: str | None) -> str:
    return (doc_class or "").replace("_", " ").capitalize()


# ---------------------------------------------------------------- one document


@dataclass(frozen=True)
class PageInfo:
    page_no: int
    text: str
    confidence: float | None
    method: str
    has_image: bool


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    low_confidence: bool


@dataclass
class DocumentView:
    summary: DocumentSummary
    labels: tuple[str, ...]
    media_type: str
    size_bytes: int
    kind: str
    pages: list[PageInfo] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    transcript: transcription.TranscriptVersion | None = None
    break_glass: bool = False
    may_download: bool = False
    may_confirm: bool = False


def open_document(app: App, principal: Principal, doc_id: int) -> DocumentView:
    """The document with its pages and transcript; DocumentViewed is audited
    (as denied/not_found, with the same answer for both, when it cannot be opened)."""
    refused = functools.partial(_refused, audit.DocumentViewed, principal, doc_id)
    with _refusals_audited(app, refused), app.db.write() as conn:
        facts = access.require_document(conn, principal, doc_id, "view")
        view = _document_view(conn, doc_id)
        view.break_glass = access.opened_by_grant(principal, facts)
        view.may_download = access.may(principal, "download", facts)
        view.may_confirm = view.transcript is not None and access.may(principal, "confirm_transcript", facts)
        audit.record(conn, audit.DocumentViewed(principal=principal, document_id=doc_id,
                                                patient_id=view.summary.patient_id, break_glass=view.break_glass))
    return view


@contextmanager
def _refusals_audited(app: App, refused: Callable[[str], audit.AuditEvent]) -> Iterator[None]:
    """A document that cannot be opened is audited too (denied or not_found), in its
    own transaction, and the same DocumentNotFoundError goes on to the page."""
    try:
        yield
    except DocumentNotFoundError as err:
        with app.db.write() as conn:
            audit.record(conn, refused(err.audit_outcome))
        raise


def _refused(event: type[audit.AuditEvent], principal: Principal, doc_id: int, outcome: str,
             **fields: Any) -> audit.AuditEvent:
    return event(principal=principal, document_id=doc_id, outcome=outcome, **fields)


def _document_view(conn: Connection, doc_id: int) -> DocumentView:
    row = conn.execute(select(documents).where(documents.c.id == doc_id)).one()
    summary = summaries_of(conn, [doc_id])[doc_id]
    view = DocumentView(summary, tuple(row.labels or ()), row.media_type, row.size_bytes, row.kind)
    for p in conn.execute(select(pages).where(pages.c.document_id == doc_id).order_by(pages.c.page_no)):
        view.pages.append(PageInfo(p.page_no, p.text or "", p.confidence, p.method, bool(p.image)))
    for s in conn.execute(select(transcript_segments).where(transcript_segments.c.document_id == doc_id)
                          .order_by(transcript_segments.c.idx)):
        view.segments.append(Segment(s.start, s.end, s.text, bool(s.low_confidence)))
    view.transcript = transcription.current_transcript(conn, doc_id)
    return view


def page_image(app: App, principal: Principal, doc_id: int, page_no: int) -> Path:
    """The view image of one page (inside the document's own derived folder, or its
    split parent's for a part of a split fax).
    A text-layer page's image is drawn from the original on its first view, after
    the access check and outside the write transaction."""
    refused = functools.partial(_refused, audit.PageViewed, principal, doc_id, page_no=page_no)
    with _refusals_audited(app, refused):
        with app.db.read() as conn:
            access.require_document(conn, principal, doc_id, "view")
            row = conn.execute(select(pages.c.image, pages.c.method, pages.c.info, documents.c.sha256,
                                      documents.c.parent_id)
                               .join_from(pages, documents, documents.c.id == pages.c.document_id)
                               .where(pages.c.document_id == doc_id, pages.c.page_no == page_no)).first()
        path = _image_path(app, doc_id, row.image, row.parent_id) if row is not None and row.image else None
        if path is not None:
            source_page = (row.info or {}).get("parent_page", page_no)  # a split fax's part: its parent's page
            path = ocr.view_file(path, method=row.method, original=app.store.path(row.sha256),
                                 page_index=source_page - 1, view_dpi=app.settings.ocr.view_dpi)
        with app.db.write() as conn:
            facts = access.require_document(conn, principal, doc_id, "view")
            if path is None:
                raise DocumentNotFoundError(doc_id, audit_outcome="not_found")
            audit.record(conn, audit.PageViewed(principal=principal, document_id=doc_id, patient_id=facts.patient_id,
                                                page_no=page_no, break_glass=access.opened_by_grant(principal, facts)))
    return path


def _image_path(app: App, doc_id: int, image: str, parent_id: int | None) -> Path | None:
    """Where a page's image is: in the document's own derived folder, or, for a part
    of a split fax, in its parent's ("../<parent id>/<file>", as the split wrote it).
    No other path outside the document's folder is followed."""
    prefix = f"../{parent_id}/"
    if parent_id is not None and image.startswith(prefix):
        return _inside(app.derived_dir(parent_id), image.removeprefix(prefix))
    return _inside(app.derived_dir(doc_id), image)


def _inside(folder: Path, relative: str) -> Path | None:
    root = folder.resolve()
    path = (root / relative).resolve()
    return path if root in path.parents else None


@dataclass(frozen=True)
class Original:
    path: Path
    media_type: str
    filename: str


def original(app: App, principal: Principal, doc_id: int) -> Original:
    """The original file as it was received (audited as Downloaded)."""
    refused = functools.partial(_refused, audit.Downloaded, principal, doc_id, form="original")
    with _refusals_audited(app, refused), app.db.write() as conn:
        facts = access.require_document(conn, principal, doc_id, "download")
        row = conn.execute(select(documents.c.sha256, documents.c.media_type, documents.c.kind)
                           .where(documents.c.id == doc_id)).one()
        if not app.store.exists(row.sha256):
            raise DocumentNotFoundError(doc_id, audit_outcome="not_found")
        audit.record(conn, audit.Downloaded(principal=principal, document_id=doc_id, patient_id=facts.patient_id,
                                            form="original", break_glass=access.opened_by_grant(principal, facts)))
    suffix = {"pdf": "pdf"}.get(row.kind) or (row.media_type.split("/")[-1] if "/" in row.media_type else "bin")
    return Original(app.store.path(row.sha256), row.media_type or "application/octet-stream",
                    f"document-{doc_id}.{suffix}")


# ---------------------------------------------------------------- a chart


@dataclass
class ChartView:
    patient: charts.PatientView
    groups: dict[str, list[charts.ChartEntry]]
    restricted: int | None  # documents hidden from this user that break-the-glass could open

    @property
    def count(self) -> int:
        return sum(len(g) for g in self.groups.values())


def open_chart(app: App, principal: Principal, patient_id: int) -> ChartView:
    """A patient's demographics and the documents the principal may open, by class
    and date (PatientViewed audited; refused alike for a missing patient)."""
    with app.db.write() as conn:
        facts = access.patient_facts(conn, patient_id)
        if facts is None or not access.may(principal, "view", facts):
            outcome = audit.NOT_FOUND if facts is None else audit.DENIED
            audit.record(conn, audit.PatientViewed(principal=principal, patient_id=patient_id, outcome=outcome))
            view = None
        else:
            view = _chart_view(conn, principal, patient_id)
            audit.record(conn, audit.PatientViewed(principal=principal, patient_id=patient_id,
                                                   extra={"documents_shown": view.count}))
    if view is None:
        raise PatientNotFoundError(patient_id)
    return view


def _chart_view(conn: Connection, principal: Principal, patient_id: int) -> ChartView:
    full = charts.chart(conn, patient_id)
    allowed = {f.doc_id for f in access.chart_document_facts(conn, patient_id) if access.may(principal, "view", f)}
    groups = {cls: kept for cls, entries in full.groups.items()
              if (kept := [e for e in entries if e.document_id in allowed])}
    return ChartView(full.patient, groups, access.restricted_count(conn, principal, patient_id))


class PatientNotFoundError(NotFoundError):
    """The same answer for a missing chart and one the user may not open."""

    def __init__(self, patient_id: int) -> None:
        super().__init__(f"there is no patient {patient_id} that you can open",
                         remedy="check the number; search for the patient's name instead")
