"""The classify and match stages of the pipeline.

ClassifyStage reads the pages of a document, names its class with a calibrated
confidence and finds its own date. A multi-page document whose first page is a
fax cover sheet is split instead: the parent keeps the one original file and
stops (state `split`); a cover child (page 1) and a body child (pages 2..n)
point at it by page range, get copies of their pages' text, and start at
`classify` like any document.

MatchStage finds the patient: attached (`matched`) only when the matcher is
sure, otherwise `needs_review` with the candidates and the evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, desc, insert, select, update

from chartdesk.classify.classifier import Classification, Classifier
from chartdesk.classify.docdate import DocDate, document_date
from chartdesk.classify.faxcover import read_cover
from chartdesk.classify.identifiers import Extracted, Formats, Kind, extract
from chartdesk.classify.matcher import MATCHER_VERSION, MatchOutcome, MatchPolicy, Reason, match
from chartdesk.classify.patient_index import PatientIndex, current_version
from chartdesk.classify.training import ensure
from chartdesk.config import Settings
from chartdesk.db import (
    Database,
    classifications,
    document_identifiers,
    documents,
    match_candidates,
    pages,
    review_decisions,
    review_items,
    utcnow,
)
from chartdesk.stages import Doc, StageContext, StageResult, State

log = logging.getLogger(__name__)

SPLIT = "split"  # state of a fax whose pages now live in its children
COVER_CLASS = "fax_cover_sheet"

_databases: dict[str, Database] = {}


def database(settings: Settings) -> Database:
    """One Database per process and URL (stages are called many times)."""
    db = _databases.get(settings.database_url)
    if db is None:
        db = _databases[settings.database_url] = Database(settings.database_url)
    return db


def page_texts(conn: Connection, doc_id: int) -> list[str]:
    rows = conn.execute(select(pages.c.text).where(pages.c.document_id == doc_id).order_by(pages.c.page_no))
    return [r.text or "" for r in rows]


def review_threshold(settings: Settings, doc_class: str | None) -> float:
    own = settings.classes[doc_class].review_below if doc_class in settings.classes else None
    return own if own is not None else settings.classify.review_below


# ---- classify ----


class ClassifyStage:
    name = "classify"

    def __init__(self, classifier: Classifier | None = None) -> None:
        self._classifier = classifier

    def classifier(self, settings: Settings) -> Classifier:
        if self._classifier is None:
            self._classifier = ensure(settings)
        return self._classifier

    def applies(self, doc: Doc, ctx: StageContext) -> bool:
        return doc.state != SPLIT

    def warm_up(self, settings: Settings) -> None:
        """Load (or train, on a new installation) the model before the first document."""
        self.classifier(settings)

    def run(self, doc: Doc, ctx: StageContext) -> StageResult:
        settings = ctx.settings
        with database(settings).read() as conn:
            texts = page_texts(conn, doc.id)
            is_child = conn.execute(select(documents.c.parent_id).where(documents.c.id == doc.id)).scalar() is not None
        model = self.classifier(settings)
        joined = "\n".join(texts)[: settings.classify.max_chars]
        if not is_child and len(texts) >= 2:
            # Page 1 (is it a fax cover?) and the whole document in one pass of the model.
            cover, result = model.predict_many([texts[0], joined])
            if cover.doc_class == COVER_CLASS and cover.confidence >= settings.classify.cover_sheet_min_confidence:
                return _split(doc, texts, cover)
        else:
            result = model.predict(joined)
        received = doc.received_at.date()
        found = extract(texts[:3], _formats(settings), today=received)
        births = {f.date for f in found.items if f.kind is Kind.dob and f.date}
        when = document_date(texts, received=received, birth_dates=births)
        return _classified(doc, result, when, texts)


def _formats(settings: Settings) -> Formats:
    return Formats(settings.match.mrn_patterns, settings.match.member_id_pattern)


def _classified(doc: Doc, c: Classification, when: DocDate | None, texts: Sequence[str]) -> StageResult:
    flags: dict[str, Any] = {}
    if c.doc_class == COVER_CLASS:
        flags["cover_sheet"] = read_cover(texts[0] if texts else "").as_json()

    def record(conn: Connection) -> None:
        conn.execute(delete(classifications).where(classifications.c.document_id == doc.id))
        conn.execute(insert(classifications).values(
            document_id=doc.id, doc_class=c.doc_class, confidence=c.confidence, model_version=c.model_version,
            ranking=[list(r) for r in c.ranking], evidence=list(c.evidence), doc_date=when.value if when else None,
            doc_date_evidence=when.evidence() if when else {}, classified_at=utcnow()))
        if flags:
            current = conn.execute(select(documents.c.flags).where(documents.c.id == doc.id)).scalar() or {}
            conn.execute(update(documents).where(documents.c.id == doc.id).values(flags={**current, **flags}))

    summary = {**c.provenance(), "ranking": [list(r) for r in c.ranking], "date_rank": when.rank if when else None}
    updates = {"doc_class": c.doc_class, "class_confidence": c.confidence, "doc_date": when.value if when else None}
    return StageResult(state=State.classified, summary=summary, updates=updates, record=record)


@dataclass(frozen=True, slots=True)
class ChildSpec:
    role: str  # cover | body
    page_start: int
    page_end: int


def _split(doc: Doc, texts: Sequence[str], cover: Classification) -> StageResult:
    specs = (ChildSpec("cover", 1, 1), ChildSpec("body", 2, len(texts)))
    details = read_cover(texts[0]).as_json()

    def record(conn: Connection) -> None:
        parent = conn.execute(select(documents).where(documents.c.id == doc.id)).one()._mapping
        existing = conn.execute(select(documents.c.id).where(documents.c.parent_id == doc.id)).first()
        if existing is not None:
            return  # split already committed (a stage run twice commits once)
        children = {s.role: _insert_child(conn, parent, s, details if s.role == "cover" else {}) for s in specs}
        flags = {**(parent["flags"] or {}), "split": {"children": children, "cover": cover.provenance()}}
        conn.execute(update(documents).where(documents.c.id == doc.id).values(flags=flags))

    summary = {"split": True, "children": len(specs), "cover_confidence": round(cover.confidence, 4), "model": cover.model_version}
    return StageResult(state=SPLIT, summary=summary, record=record, done=True)


def _insert_child(conn: Connection, parent: Any, spec: ChildSpec, cover: dict[str, Any]) -> int:
    now = utcnow()
    flags: dict[str, Any] = {"split_from": parent["id"], "part": spec.role}
    if cover:
        flags["cover_sheet"] = {**cover, "pages_received": parent["page_count"]}
    values = {c: parent[c] for c in ("sha256", "size_bytes", "media_type", "kind", "original_name", "source", "inbox", "received_at")}
    child_id = conn.execute(insert(documents).values(
        **values, state=State.extracted, stage="classify", due_at=now, attempts=0, generation=1, flags=flags,
        page_count=spec.page_end - spec.page_start + 1, labels=[], index_version=0, indexed_version=0, updated_at=now,
        parent_id=parent["id"], page_start=spec.page_start, page_end=spec.page_end,
    )).inserted_primary_key[0]
    copy_pages(conn, parent["id"], child_id, spec.page_start, spec.page_end)
    return int(child_id)


def copy_pages(conn: Connection, parent_id: int, child_id: int, first: int, last: int) -> None:
    """The child's pages are copies of its range of the parent's, renumbered from 1.

    Text and tables are copied; the view image stays the parent's file (the
    path is made relative to the child's derived folder).
    """
    rows = conn.execute(select(pages).where(pages.c.document_id == parent_id, pages.c.page_no.between(first, last)).order_by(pages.c.page_no))
    for row in rows:
        m = dict(row._mapping)
        if m.get("image"):
            m["image"] = f"../{parent_id}/{m['image']}"
        m["info"] = {**(m.get("info") or {}), "parent_id": parent_id, "parent_page": m["page_no"]}
        m["document_id"], m["page_no"] = child_id, m["page_no"] - first + 1
        conn.execute(insert(pages).values(**m))


# ---- match ----


class MatchStage:
    name = "match"

    def __init__(self) -> None:
        self._index: PatientIndex | None = None

    def applies(self, doc: Doc, ctx: StageContext) -> bool:
        return doc.state != SPLIT

    def patient_index(self, conn: Connection) -> PatientIndex:
        if self._index is None or self._index.version != current_version(conn):
            self._index = PatientIndex.load(conn)
        return self._index

    def run(self, doc: Doc, ctx: StageContext) -> StageResult:
        settings = ctx.settings
        with database(settings).read() as conn:
            texts = page_texts(conn, doc.id)
            row = conn.execute(select(documents.c.doc_class, documents.c.class_confidence).where(documents.c.id == doc.id)).one()
            decided = _human_patient(conn, doc.id)
            index = self.patient_index(conn)
        if decided is not None:
            return _decided(doc, decided)
        found = extract(texts, _formats(settings), today=doc.received_at.date())
        outcome = match(found, texts, index, policy(settings))
        reasons = list(outcome.reasons)
        if row.class_confidence is None or row.class_confidence < review_threshold(settings, row.doc_class):
            reasons.append(Reason.class_uncertain)
        return _match_result(doc, found, outcome, tuple(reasons))


def policy(settings: Settings) -> MatchPolicy:
    m = settings.match
    return MatchPolicy(m.auto_attach_probability, m.min_margin_bits, m.show_candidates, m.candidate_floor_probability)


def _human_patient(conn: Connection, doc_id: int) -> int | None:
    row = conn.execute(select(review_decisions.c.action, review_decisions.c.patient_id)
                       .where(review_decisions.c.document_id == doc_id, review_decisions.c.action.in_(("assign", "move")))
                       .order_by(desc(review_decisions.c.id)).limit(1)).first()
    return row.patient_id if row else None


def _decided(doc: Doc, patient_id: int) -> StageResult:
    return StageResult(state=State.matched, summary={"matcher": MATCHER_VERSION, "decided_by_person": True},
                       updates={"patient_id": patient_id})


def _match_result(doc: Doc, found: Extracted, outcome: MatchOutcome, reasons: tuple[Reason, ...]) -> StageResult:
    best = outcome.candidates[0] if outcome.candidates else None
    # A confident patient is kept even when only the class needs a person's eye.
    patient_id = outcome.patient_id
    state = State.needs_review if reasons else State.matched

    def record(conn: Connection) -> None:
        write_identifiers(conn, doc.id, found)
        write_candidates(conn, doc.id, outcome)
        write_review_item(conn, doc.id, reasons)

    summary = {
        "matcher": MATCHER_VERSION, "attached": patient_id is not None, "reasons": [str(r) for r in reasons],
        "candidates": len(outcome.candidates), "best_probability": round(best.probability, 6) if best else None,
        "agreeing": list(best.agreeing) if best else [], "notes": list(outcome.notes),
    }
    return StageResult(state=state, summary=summary, updates={"patient_id": patient_id}, record=record)


def write_identifiers(conn: Connection, doc_id: int, found: Extracted) -> None:
    conn.execute(delete(document_identifiers).where(document_identifiers.c.document_id == doc_id))
    rows = [{"document_id": doc_id, "kind": str(f.kind), "role": str(f.role), "value": f.value or f.norm, "norm": f.norm,
             "page_no": f.page_no, "label": f.label[:64]} for f in found.items]
    if rows:
        conn.execute(insert(document_identifiers), rows)


def write_candidates(conn: Connection, doc_id: int, outcome: MatchOutcome) -> None:
    conn.execute(delete(match_candidates).where(match_candidates.c.document_id == doc_id))
    now = utcnow()
    rows = [{"document_id": doc_id, "rank": i, "patient_id": c.patient_id, "weight": round(c.weight, 3),
             "probability": c.probability, "agreements": {**c.evidence(), "_agreeing": list(c.agreeing)}, "matched_at": now}
            for i, c in enumerate(outcome.candidates, start=1)]
    if rows:
        conn.execute(insert(match_candidates), rows)


def write_review_item(conn: Connection, doc_id: int, reasons: Sequence[Reason]) -> None:
    """Open (or re-open) the document's review item, or close it when nothing is left to decide."""
    now = utcnow()
    existing = conn.execute(select(review_items.c.status).where(review_items.c.document_id == doc_id)).first()
    if reasons:
        values = {"status": "open", "reasons": [str(r) for r in reasons], "closed_at": None}
        if existing is None:
            conn.execute(insert(review_items).values(document_id=doc_id, opened_at=now, **values))
        else:
            conn.execute(update(review_items).where(review_items.c.document_id == doc_id).values(**values))
    elif existing is not None and existing.status == "open":
        conn.execute(update(review_items).where(review_items.c.document_id == doc_id).values(status="resolved", closed_at=now))
