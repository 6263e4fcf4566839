"""Applying an approved disposition plan: a run in phases that survives a crash.

`apply` (compliance only, the `dispose` permission) checks that the current
plan was approved by someone else, records a run with one item per document to
destroy, and takes the run through its phases. Each phase is idempotent, and
the run's phase is stored, so an interrupted run is resumed by the next apply
from where it stopped:

  records  per document, in one transaction: check again that it is still due
           and under no legal hold (holds beat rules, whatever changed since
           the plan), then destroy its records and leave a tombstone (scrub.py);
           a split fax whose parts are all gone follows as a container
  index    the indexer takes the destroyed documents out of the search index
           and their stored text is expunged from its segments (index_purge.py)
  files    derived folders, page images, quarantine copies and originals no
           other document uses are removed
  finish   the classifier is trained again if it learnt from a destroyed
           document, the database's write-ahead log is folded back and
           truncated, and the certificates are written

Originals are removed only after the index has let go of the documents, so a
document is never left with its file gone while still searchable. Each act is
audited: the start, every destruction, every document a hold kept, the end.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from chartdesk import access, audit, charts
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.db import (
    checkpoint,
    documents,
    retention_run_items,
    retention_runs,
    retention_tombstones,
    utcnow,
)
from chartdesk.faults import fault_point
from chartdesk.retention import certificates, index_purge
from chartdesk.retention.approvals import Approval, approval_for
from chartdesk.retention.errors import DisposalIncompleteError, NotApprovedError, PlanChangedError
from chartdesk.retention.holds import holds_covering
from chartdesk.retention.plan import Plan, compute_plan, plan_from
from chartdesk.retention.rules import Action
from chartdesk.retention.schedule import refresh_documents
from chartdesk.retention.scrub import Decision, blob_to_remove, destroy_records

log = logging.getLogger(__name__)

PHASES = ("records", "index", "files", "finish", "done")
BATCH = 50
INDEX_TIMEOUT_SECONDS = 300.0
WAL_TRIES = 20

# Fault points (chartdesk.faults) for the crash tests: the process is killed there.
AFTER_START = "retention_after_start"  # the run and its items recorded, nothing destroyed yet
AFTER_RECORDS_BATCH = "retention_after_records_batch"  # a batch of records destroyed, more to come
AFTER_RECORDS = "retention_after_records"  # every record destroyed, the index not yet purged
MID_FILES = "retention_mid_files"  # one document's files removed, not yet marked done


@dataclass(frozen=True)
class RunView:
    id: int
    fingerprint: str
    approved_by: str
    applied_by: str
    as_of: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime | None
    phase: str
    summary: dict[str, Any]
    certificate_csv: Path | None
    certificate_pdf: Path | None

    @property
    def finished(self) -> bool:
        return self.phase == "done"


@dataclass(frozen=True)
class ApplyOutcome:
    executed: bool
    plan: Plan | None
    approval: Approval | None
    run: RunView | None
    resumed: bool = False


def apply(app: App, principal: Principal, *, execute: bool, today: dt.date,
          index_timeout: float = INDEX_TIMEOUT_SECONDS) -> ApplyOutcome:
    """Apply the current plan (`execute`), or check that it could be applied (dry run)."""
    access.require(principal, "dispose")
    with app.db.read() as conn:
        unfinished = _unfinished(conn)
    if unfinished is not None:
        return _resume(app, principal, unfinished, execute=execute, index_timeout=index_timeout)
    plan = compute_plan(app.db, app.settings, today=today)
    if not plan.destroy:
        _record(app, principal, "apply_nothing_due", extra={"as_of": today, **plan.summary()})
        return ApplyOutcome(executed=False, plan=plan, approval=None, run=None)
    with app.db.write() as conn:
        if plan_from(conn, app.settings, today=today).fingerprint != plan.fingerprint:
            raise PlanChangedError("the plan changed while it was being checked",
                                   remedy="run `chartdesk retention plan` again")
        approval = approval_for(conn, app.settings, plan, principal)
        if not execute:
            audit.record(conn, audit.RetentionAct(principal=principal, act="dry_run", extra={
                "fingerprint": plan.fingerprint, "approval_id": approval.id, **plan.summary()}))
            return ApplyOutcome(executed=False, plan=plan, approval=approval, run=None)
        run_id = _start(conn, principal, plan, approval)
    fault_point(AFTER_START)
    run_phases(app, principal, run_id, index_timeout=index_timeout)
    return ApplyOutcome(executed=True, plan=plan, approval=approval, run=get_run(app, run_id))


def _resume(app: App, principal: Principal, run: RunView, *, execute: bool, index_timeout: float) -> ApplyOutcome:
    if principal.username == run.approved_by:
        raise NotApprovedError(f"disposition run {run.id} was approved by you; the approver cannot apply it",
                               remedy="ask another compliance officer to finish it")
    if not execute:
        _record(app, principal, "dry_run", extra={"run": run.id, "resume_from": run.phase})
        return ApplyOutcome(executed=False, plan=None, approval=None, run=run, resumed=True)
    _record(app, principal, "disposal_resumed", extra={"run": run.id, "phase": run.phase})
    run_phases(app, principal, run.id, index_timeout=index_timeout)
    return ApplyOutcome(executed=True, plan=None, approval=None, run=get_run(app, run.id), resumed=True)


def _start(conn: Connection, principal: Principal, plan: Plan, approval: Approval) -> int:
    run_id = int(conn.execute(insert(retention_runs).values(
        fingerprint=plan.fingerprint, approval_id=approval.id, approved_by=approval.approver,
        applied_by=principal.username, applied_by_id=principal.user_id, as_of=plan.as_of, started_at=utcnow(),
        phase=PHASES[0], retrain=0, summary={"planned": len(plan.destroy), "review": len(plan.review),
                                             "held_at_start": len(plan.held)})).inserted_primary_key[0])
    conn.execute(insert(retention_run_items), [
        {"run_id": run_id, "document_id": r.document_id, "role": "planned", "rule": r.rule,
         "disposition_date": r.disposition_date, "status": "pending", "note": "", "files": []}
        for r in plan.destroy])
    audit.record(conn, audit.RetentionAct(principal=principal, act="disposal_started", extra={
        "run": run_id, "fingerprint": plan.fingerprint, "approval_id": approval.id, "approved_by": approval.approver,
        "documents": len(plan.destroy)}))
    return run_id


def run_phases(app: App, principal: Principal, run_id: int, *, index_timeout: float = INDEX_TIMEOUT_SECONDS) -> None:
    steps = {"records": _records_phase, "index": _index_phase, "files": _files_phase, "finish": _finish_phase}
    while (phase := _phase(app, run_id)) != "done":
        log.info("disposition run %s: %s", run_id, phase)
        steps[phase](app, principal, run_id, index_timeout=index_timeout)
        _set_phase(app, run_id, PHASES[PHASES.index(phase) + 1])


# ---- records ----


def _records_phase(app: App, principal: Principal, run_id: int, **_: Any) -> None:
    while True:
        with app.db.write() as conn:
            run = _run_row(conn, run_id)
            items = conn.execute(select(retention_run_items).where(
                retention_run_items.c.run_id == run_id, retention_run_items.c.status == "pending")
                .order_by(retention_run_items.c.document_id).limit(BATCH)).all()
            if not items:
                break
            for item in items:
                _destroy_item(conn, app, principal, run, item._mapping)
        fault_point(AFTER_RECORDS_BATCH)
    fault_point(AFTER_RECORDS)


def _destroy_item(conn: Connection, app: App, principal: Principal, run: Any, item: Any) -> None:
    doc_id = item["document_id"]
    doc = conn.execute(select(documents.c.state, documents.c.parent_id, documents.c.patient_id, documents.c.sha256)
                       .where(documents.c.id == doc_id)).one()
    if doc.state == "destroyed":
        _finish_item(conn, run.id, doc_id, "destroyed", note="already destroyed")
        return
    if item["role"] == "planned":
        refusal = _still_due(conn, app, run, doc_id, principal)
        if refusal is not None:
            return
    decision = Decision(run.id, item["rule"], item["disposition_date"], run.approved_by, run.applied_by)
    scrubbed = destroy_records(conn, app.settings, doc_id, decision, utcnow())
    blob = blob_to_remove(conn, doc.sha256)
    _finish_item(conn, run.id, doc_id, "destroyed", files=scrubbed.files, blob=blob)
    if scrubbed.learnt_from:
        conn.execute(update(retention_runs).where(retention_runs.c.id == run.id).values(retrain=1))
    audit.record(conn, audit.RetentionAct(
        principal=principal, act="destroyed", document_id=doc_id, patient_id=doc.patient_id,
        extra={"run": run.id, "rule": item["rule"], "role": item["role"], "disposition_date": item["disposition_date"],
               "approved_by": run.approved_by}))
    if doc.parent_id is not None:
        _container(conn, app, principal, run, doc.parent_id)


def _still_due(conn: Connection, app: App, run: Any, doc_id: int, principal: Principal) -> str | None:
    """None when the document may go now; otherwise it is marked kept, with the reason."""
    held = holds_covering(conn, app.settings, [doc_id]).get(doc_id)
    if held:
        note = "legal hold " + ", ".join(str(h) for h in sorted(held))
        _finish_item(conn, run.id, doc_id, "held", note=note)
        audit.record(conn, audit.RetentionAct(principal=principal, act="kept_on_hold", document_id=doc_id,
                                              reason=note, extra={"run": run.id, "holds": sorted(held)}))
        return note
    disp = refresh_documents(conn, app.settings, [doc_id]).get(doc_id)
    if disp is None or disp.action != Action.destroy or disp.date is None or disp.date > run.as_of:
        note = "no longer due: its class, chart, dates or the rules changed since the plan"
        _finish_item(conn, run.id, doc_id, "skipped", note=note)
        audit.record(conn, audit.RetentionAct(principal=principal, act="kept_not_due", document_id=doc_id,
                                              reason=note, extra={"run": run.id}))
        return note
    return None


def _container(conn: Connection, app: App, principal: Principal, run: Any, parent_id: int) -> None:
    """A split fax whose parts are all destroyed: its own record and the original go too."""
    parent = conn.execute(select(documents.c.state, documents.c.sha256).where(documents.c.id == parent_id)).first()
    if parent is None or parent.state != "split" or charts.original_needed(conn, parent_id):
        return
    exists = conn.execute(select(retention_run_items.c.document_id).where(
        retention_run_items.c.run_id == run.id, retention_run_items.c.document_id == parent_id)).first()
    if exists is None:
        conn.execute(insert(retention_run_items).values(run_id=run.id, document_id=parent_id, role="container",
                                                        rule=None, status="pending", note="", files=[]))
    _destroy_item(conn, app, principal, run, {"document_id": parent_id, "role": "container", "rule": None,
                                              "disposition_date": None})


def _finish_item(conn: Connection, run_id: int, doc_id: int, status: str, *, note: str = "",
                 files: list[str] | None = None, blob: str | None = None) -> None:
    conn.execute(update(retention_run_items).where(retention_run_items.c.run_id == run_id,
                                                   retention_run_items.c.document_id == doc_id)
                 .values(status=status, note=note, files=files or [], blob=blob))


# ---- index ----


def _index_phase(app: App, principal: Principal, run_id: int, *, index_timeout: float) -> None:
    with app.db.read() as conn:
        gone = set(conn.execute(select(retention_tombstones.c.document_id)).scalars())
    report = index_purge.purge(app, gone, worker_id=f"retention-run-{run_id}", timeout=index_timeout)
    _merge_summary(app, run_id, {"index": {"backend": report.backend, "rounds": report.rounds,
                                           "rewritten": report.rewritten, "expunged": report.expunged}})


# ---- files ----


def _files_phase(app: App, principal: Principal, run_id: int, **_: Any) -> None:
    with app.db.read() as conn:
        items = conn.execute(select(retention_run_items).where(
            retention_run_items.c.run_id == run_id, retention_run_items.c.status == "destroyed",
            retention_run_items.c.done_at.is_(None)).order_by(retention_run_items.c.document_id)).all()
    for item in items:
        for path in item.files:
            _remove(Path(path))
        kept_blob = _remove_blob(app, item.blob)
        fault_point(MID_FILES)
        with app.db.write() as conn:
            conn.execute(update(retention_run_items).where(retention_run_items.c.run_id == run_id,
                                                           retention_run_items.c.document_id == item.document_id)
                         .values(done_at=utcnow(), note=item.note or kept_blob))


def _remove_blob(app: App, sha256: str | None) -> str:
    if sha256 is None:
        return ""
    with app.db.read() as conn:
        still_free = blob_to_remove(conn, sha256) is not None
    if not still_free:  # the same bytes were dropped again meanwhile: the new document needs them
        return "original kept: the same file was received again as a new document"
    app.store.remove(sha256)
    return ""


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# ---- finish ----


def _finish_phase(app: App, principal: Principal, run_id: int, **_: Any) -> None:
    with app.db.read() as conn:
        run = _run_row(conn, run_id)
    if run.retrain:
        from chartdesk import classify

        report = classify.retrain(app.settings, app.db.read)
        _merge_summary(app, run_id, {"classifier_retrained": report.model_version})
    wal_clean = fold_wal(app)
    with app.db.write() as conn:
        counts = _counts(conn, run_id)
        summary = {**_run_row(conn, run_id).summary, **counts, "wal_truncated": wal_clean}
        conn.execute(update(retention_runs).where(retention_runs.c.id == run_id).values(
            finished_at=run.finished_at or utcnow(), summary=summary))
        certificates.write_certificates(conn, app.settings, run_id)
        audit.record(conn, audit.RetentionAct(principal=principal, act="disposal_finished",
                                              extra={"run": run_id, **counts}))
    fold_wal(app)


def fold_wal(app: App) -> bool:
    """Fold the write-ahead log into the database and truncate it (it may still hold
    pages with destroyed text). True when the log is empty afterwards."""
    wal = Path(str(app.settings.data_dir / "chartdesk.db") + "-wal")
    for _ in range(WAL_TRIES):
        checkpoint(app.db)
        if not wal.exists() or wal.stat().st_size == 0:
            return True
        time.sleep(0.1)  # a reader held an old snapshot; try again
    log.warning("write-ahead log not truncated: a reader kept it open")
    return False


def _counts(conn: Connection, run_id: int) -> dict[str, int]:
    rows = conn.execute(select(retention_run_items.c.status, retention_run_items.c.role).where(
        retention_run_items.c.run_id == run_id)).all()
    return {"destroyed": sum(r.status == "destroyed" for r in rows),
            "containers": sum(r.status == "destroyed" and r.role == "container" for r in rows),
            "held": sum(r.status == "held" for r in rows), "skipped": sum(r.status == "skipped" for r in rows)}


# ---- reading runs ----


def get_run(app: App, run_id: int) -> RunView:
    with app.db.read() as conn:
        return _view(app, _run_row(conn, run_id))


def list_runs(app: App) -> list[RunView]:
    with app.db.read() as conn:
        rows = conn.execute(select(retention_runs).order_by(retention_runs.c.id.desc())).all()
    return [_view(app, r) for r in rows]


def _view(app: App, row: Any) -> RunView:
    csv_path, pdf_path = certificates.paths(app.settings, row.id)
    return RunView(row.id, row.fingerprint, row.approved_by, row.applied_by, row.as_of, row.started_at,
                   row.finished_at, row.phase, dict(row.summary or {}),
                   csv_path if csv_path.exists() else None, pdf_path if pdf_path.exists() else None)


def _unfinished(conn: Connection) -> RunView | None:
    row = conn.execute(select(retention_runs).where(retention_runs.c.phase != "done")
                       .order_by(retention_runs.c.id).limit(1)).first()
    if row is None:
        return None
    return RunView(row.id, row.fingerprint, row.approved_by, row.applied_by, row.as_of, row.started_at,
                   row.finished_at, row.phase, dict(row.summary or {}), None, None)


def _run_row(conn: Connection, run_id: int) -> Any:
    row = conn.execute(select(retention_runs).where(retention_runs.c.id == run_id)).first()
    if row is None:
        from chartdesk.errors import NotFoundError

        raise NotFoundError(f"there is no disposition run {run_id}", remedy="list them with `chartdesk retention runs`")
    return row


def _phase(app: App, run_id: int) -> str:
    with app.db.read() as conn:
        return str(_run_row(conn, run_id).phase)


def _set_phase(app: App, run_id: int, phase: str) -> None:
    with app.db.write() as conn:
        conn.execute(update(retention_runs).where(retention_runs.c.id == run_id).values(phase=phase))


def _merge_summary(app: App, run_id: int, values: dict[str, Any]) -> None:
    with app.db.write() as conn:
        current = dict(_run_row(conn, run_id).summary or {})
        conn.execute(update(retention_runs).where(retention_runs.c.id == run_id).values(summary={**current, **values}))


def _record(app: App, principal: Principal, act: str, *, extra: dict[str, Any]) -> None:
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(principal=principal, act=act, extra=extra))


__all__ = ["AFTER_RECORDS", "AFTER_RECORDS_BATCH", "AFTER_START", "MID_FILES", "PHASES", "ApplyOutcome", "DisposalIncompleteError",
           "RunView", "apply", "fold_wal", "get_run", "list_runs", "run_phases"]
