"""Running the extract stage by hand: a real installation (SQLite, blob store),
a documents row, a StageContext built here, and the stage's record written in a
real transaction so tests read the `pages` rows back from the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from chartdesk.app import App
from chartdesk.db import documents, pages, utcnow
from chartdesk.ocr import ExtractStage, Steps
from chartdesk.stages import Doc, StageContext, StageResult, State
from tests.gen import Built

KIND_OF = {"application/pdf": "pdf", "image/tiff": "image", "image/png": "image", "image/jpeg": "image",
           "image/heic": "image", "image/heif": "image"}


@dataclass
class Extracted:
    doc: Doc
    result: StageResult
    rows: list[dict[str, Any]]
    folder: Path
    heartbeats: int

    def text(self, page_no: int) -> str:
        return self.rows[page_no - 1]["text"]

    @property
    def all_text(self) -> str:
        return "\n".join(r["text"] for r in self.rows)


@dataclass
class Beat:
    count: int = 0
    calls: list[float] = field(default_factory=list)

    def __call__(self) -> None:
        self.count += 1


def add_document(app: App, path: Path, media_type: str, *, flags: dict[str, Any] | None = None) -> Doc:
    blob = app.store.put_file(path)
    now = utcnow()
    values = dict(sha256=blob.sha256, size_bytes=blob.size, media_type=media_type, kind=KIND_OF[media_type],
                  original_name=path.name, source="scan", inbox="scans", received_at=now, state=State.received,
                  stage="extract", attempts=0, generation=1, flags=flags or {}, labels=[], updated_at=now)
    with app.db.write() as conn:
        doc_id = conn.execute(documents.insert().values(**values)).inserted_primary_key[0]
    return Doc(id=doc_id, sha256=blob.sha256, size_bytes=blob.size, media_type=media_type,
               kind=KIND_OF[media_type], original_name=path.name, source="scan", inbox="scans",
               received_at=now.astimezone(dt.UTC), state=State.received, stage="extract", generation=1,
               attempts=0, flags=flags or {})


def context(app: App, beat: Beat) -> StageContext:
    return StageContext(settings=app.settings, blob_path=app.store.path, derived_dir=app.derived_dir,
                        worker_id="test-worker", heartbeat=beat)


def extract(app: App, source: Built | Path, media_type: str | None = None, *, steps: Steps | None = None,
            flags: dict[str, Any] | None = None) -> Extracted:
    path = source.path if isinstance(source, Built) else source
    media = media_type or (source.media_type if isinstance(source, Built) else "application/pdf")
    doc = add_document(app, path, media, flags=flags)
    beat = Beat()
    stage = ExtractStage(steps)
    assert stage.applies(doc, context(app, beat))
    result = stage.run(doc, context(app, beat))
    assert result.record is not None
    with app.db.write() as conn:
        result.record(conn)
    with app.db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(pages).where(pages.c.document_id == doc.id).order_by(pages.c.page_no))]
    return Extracted(doc, result, rows, app.derived_dir(doc.id), beat.count)


@pytest.fixture
def run_extract(app: App) -> Callable[..., Extracted]:
    def runner(source: Built | Path, media_type: str | None = None, **kwargs: Any) -> Extracted:
        return extract(app, source, media_type, **kwargs)

    return runner
