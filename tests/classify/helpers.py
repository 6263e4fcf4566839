"""Shared by tests/classify and tests/charts: a real installation with the session's
trained classifier, documents with page text, and a stage runner that commits a
StageResult the way the pipeline does (updates, state, record in one transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.app import App, open_app
from chartdesk.charts import IdentifierInput, NameInput, PatientInput, upsert_patient
from chartdesk.config import Settings
from chartdesk.db import documents, pages, utcnow
from chartdesk.stages import Doc, StageContext, StageResult

CLERK = Principal(user_id=7, username="records1", role="records", client="test")


def open_installation(settings: Settings) -> App:
    app = open_app(settings, create=True)
    audit.ensure_ready(settings, app.db)
    return app


def add_document(app: App, texts: Sequence[str], *, source: str = "scan", kind: str = "pdf", sha: str | None = None,
                 received: dt.datetime | None = None) -> int:
    now = received or utcnow()
    with app.db.write() as conn:
        doc_id = conn.execute(insert(documents).values(
            sha256=sha or (f"{abs(hash(tuple(texts))):064x}"[-64:]), size_bytes=100, media_type="application/pdf", kind=kind,
            original_name="scan.pdf", source=source, inbox=None, received_at=now, state="extracted", stage="classify",
            due_at=now, attempts=0, generation=1, flags={}, page_count=len(texts), labels=[], index_version=0,
            indexed_version=0, updated_at=now)).inserted_primary_key[0]
        for i, text in enumerate(texts, start=1):
            conn.execute(insert(pages).values(document_id=doc_id, page_no=i, text=text, method="ocr", engine="test",
                                              image=f"page-{i:04d}.png", info={}))
    return int(doc_id)


def load_doc(app: App, doc_id: int) -> Doc:
    with app.db.read() as conn:
        return Doc.from_row(conn.execute(select(documents).where(documents.c.id == doc_id)).one())


def context(app: App) -> StageContext:
    return StageContext(settings=app.settings, blob_path=app.store.path, derived_dir=app.derived_dir, worker_id="test",
                        heartbeat=lambda: None)


def run_stage(app: App, stage: Any, doc_id: int, *, next_stage: str | None = None) -> StageResult:
    """Run one stage and commit its result as pipeline._commit_success does."""
    doc = load_doc(app, doc_id)
    result: StageResult = stage.run(doc, context(app))
    values: dict[str, Any] = {**result.updates, "state": result.state, "stage": None if result.done else next_stage, "updated_at": utcnow()}
    with app.db.write() as conn:
        conn.execute(update(documents).where(documents.c.id == doc_id).values(**values))
        if result.record is not None:
            result.record(conn)
    return result


def doc_row(app: App, doc_id: int) -> Any:
    with app.db.read() as conn:
        return conn.execute(select(documents).where(documents.c.id == doc_id)).one()


def add_patient(app: App, mrn: str, family: str, given: str, dob: dt.date | None, *, middle: str = "", phone: str | None = None,
                members: Sequence[str] = (), aliases: Sequence[tuple[str, str, str]] = ()) -> int:
    record = PatientInput(mrn=mrn, family_name=family, given_name=given, middle_name=middle or None, birth_date=dob, phone=phone,
                          other_names=tuple(NameInput(f, g, "", k) for f, g, k in aliases),
                          identifiers=tuple(IdentifierInput("member_id", m) for m in members))
    with app.db.write() as conn:
        return upsert_patient(conn, record, source="manual").patient_id


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_many(app: App, rows: Sequence[tuple[str, str, str, dt.date | None]]) -> None:
    """Many plain patients in one transaction (mrn, family, given, birth date)."""
    with app.db.write() as conn:
        for mrn, family, given, dob in rows:
            upsert_patient(conn, PatientInput(mrn=mrn, family_name=family, given_name=given, birth_date=dob), source="manual")
