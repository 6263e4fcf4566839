"""Start-up checks that the store, the database and the quarantine agree.

After a crash: temp files in the store are removed (their inbox file is still
there and will be taken again); a stored blob without a row is reported, never
deleted; a row whose original is missing is parked with a clear error; a
quarantined file whose reason note was cut off gets its note back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from chartdesk import quarantine
from chartdesk.app import App
from chartdesk.db import document_events, documents, utcnow
from chartdesk.stages import State

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    temp_files_removed: int = 0
    blobs_without_document: list[str] = field(default_factory=list)
    documents_missing_original: list[int] = field(default_factory=list)
    reasons_restored: int = 0

    def lines(self) -> list[str]:
        out = []
        if self.temp_files_removed:
            out.append(f"removed {self.temp_files_removed} unfinished temp file(s) from the store")
        if self.blobs_without_document:
            out.append(
                f"{len(self.blobs_without_document)} stored file(s) belong to no document; kept "
                "(their inbox files are taken again if still present)"
            )
        if self.documents_missing_original:
            ids = ", ".join(map(str, self.documents_missing_original[:20]))
            out.append(f"original file missing from the store for document(s) {ids}; parked, restore from backup")
        if self.reasons_restored:
            out.append(f"wrote {self.reasons_restored} missing quarantine reason note(s)")
        return out


_NO_BLOB_STATES = (State.rejected, State.destroyed)


def reconcile(app: App) -> ReconcileReport:
    report = ReconcileReport(temp_files_removed=app.store.clean_temp())
    with app.db.read() as conn:
        rows = conn.execute(select(documents.c.id, documents.c.sha256, documents.c.state)).all()
    wanted = {r.sha256 for r in rows if r.state not in _NO_BLOB_STATES}
    present = set(app.store.iter_hashes())
    report.blobs_without_document = sorted(present - wanted - {r.sha256 for r in rows})
    missing = [r.id for r in rows if r.state not in _NO_BLOB_STATES and r.sha256 not in present]
    if missing:
        _park_missing(app, missing)
    report.documents_missing_original = missing
    report.reasons_restored = _restore_reasons(app)
    return report


def _park_missing(app: App, doc_ids: list[int]) -> None:
    now = utcnow()
    message = "the original file is missing from the store; restore it from a backup, then reprocess"
    with app.db.write() as conn:
        for doc_id in doc_ids:
            state = conn.execute(select(documents.c.state).where(documents.c.id == doc_id)).scalar_one()
            if state == State.parked:
                continue
            conn.execute(
                documents.update()
                .where(documents.c.id == doc_id)
                .values(state=State.parked, last_error=message, lease_owner=None, lease_until=None, updated_at=now)
            )
            conn.execute(
                document_events.insert().values(
                    document_id=doc_id, at=now, kind="parked", detail={"error": "original missing", "was": state}
                )
            )


def _restore_reasons(app: App) -> int:
    restored = 0
    with app.db.read() as conn:
        rows = conn.execute(
            select(
                documents.c.id,
                documents.c.original_name,
                documents.c.received_at,
                documents.c.reason_code,
                documents.c.reason,
                documents.c.quarantine_path,
            ).where(documents.c.quarantine_path.is_not(None))
        ).all()
    for row in rows:
        path = Path(row.quarantine_path)
        entry = quarantine.QuarantineEntry(path, path.with_name(path.name + quarantine.REASON_SUFFIX))
        if (path.exists() or path.is_symlink()) and not entry.reason_path.exists():
            text = quarantine.reason_text(
                doc_id=row.id, name=row.original_name, when=row.received_at, code=row.reason_code or "", reason=row.reason or ""
            )
            quarantine.write_durably(entry.reason_path, text.encode("utf-8"))
            restored += 1
    return restored
