"""The chain catches every kind of tampering and names the first bad event;
the database itself refuses to change or delete audit rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import select

from chartdesk import audit
from chartdesk.access import SYSTEM, Principal
from chartdesk.app import App
from chartdesk.audit.keys import AuditKey
from chartdesk.db import audit_events, audit_head, documents
from tests.access.conftest import insert_document
from tests.audit.tamper import intruder

N = 12


def _write(app: App, count: int = N, *, start: int = 0) -> None:
    """`count` events, each in its own transaction (as commands write them)."""
    for i in range(start, start + count):
        with app.db.write() as conn:
            audit.record(conn, audit.DocumentViewed(principal=SYSTEM, document_id=i, extra={"n": i}))


def _verify(app: App) -> audit.VerifyReport:
    with app.db.read() as conn:
        return audit.verify_log(app.settings, conn)


def _db_file(app: App) -> Path:
    return app.settings.data_dir / "chartdesk.db"


@pytest.fixture
def logged(app: App) -> App:
    _write(app)
    report = _verify(app)
    assert report.ok and report.events_checked == N and report.head_seq == N
    return app


def test_the_database_refuses_updates_and_deletes(logged: App) -> None:
    for statement in (audit_events.update().values(actor="mallory"), audit_events.delete(),
                      audit_head.update().values(seq=1), audit_head.delete()):
        with pytest.raises(sqlalchemy.exc.IntegrityError), logged.db.write() as conn:
            conn.execute(statement)
    assert _verify(logged).ok


def test_edited_event(logged: App) -> None:
    with intruder(_db_file(logged)) as db:
        db.execute("UPDATE audit_events SET actor = 'someone_else' WHERE seq = 5")
    report = _verify(logged)
    assert not report.ok and report.first_bad == 5 and "altered" in report.problem


def test_edited_detail(logged: App) -> None:
    with intruder(_db_file(logged)) as db:
        db.execute("UPDATE audit_events SET detail = ? WHERE seq = 7", (json.dumps({"n": 99}),))
    assert _verify(logged).first_bad == 7


def test_deleted_event(logged: App) -> None:
    with intruder(_db_file(logged)) as db:
        db.execute("DELETE FROM audit_events WHERE seq = 5")
    report = _verify(logged)
    assert report.first_bad == 6 and "missing" in report.problem


def test_inserted_event(logged: App) -> None:
    """Given events 5.. moved up one place, when a forged event takes number 5
    (chained to event 4 as well as an intruder can), then 5 is named."""
    with intruder(_db_file(logged)) as db:
        db.execute("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 5")
        db.execute("UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000")
        prev = db.execute("SELECT hash FROM audit_events WHERE seq = 4").fetchone()[0]
        row = db.execute("SELECT * FROM audit_events WHERE seq = 6").fetchone()
        forged = (5, *row[1:13], prev, "f" * 64)
        db.execute(f"INSERT INTO audit_events VALUES ({','.join('?' * len(forged))})", forged)
    report = _verify(logged)
    assert report.first_bad == 5


def test_reordered_events(logged: App) -> None:
    with intruder(_db_file(logged)) as db:
        db.execute("UPDATE audit_events SET seq = -1 WHERE seq = 4")
        db.execute("UPDATE audit_events SET seq = 4 WHERE seq = 5")
        db.execute("UPDATE audit_events SET seq = 5 WHERE seq = -1")
    assert _verify(logged).first_bad == 4


def test_truncated_tail_with_the_head_moved_back(logged: App) -> None:
    with intruder(_db_file(logged)) as db:
        db.execute("DELETE FROM audit_events WHERE seq > 8")
        last = db.execute("SELECT hash FROM audit_events WHERE seq = 8").fetchone()[0]
        db.execute("UPDATE audit_head SET seq = 8, hash = ?", (last,))
    report = _verify(logged)
    assert not report.ok and report.first_bad == 9 and "checkpoint" in report.problem


def test_truncated_tail_with_the_head_left(logged: App) -> None:
    with intruder(_db_file(logged)) as db:
        db.execute("DELETE FROM audit_events WHERE seq > 10")
    report = _verify(logged)
    assert report.first_bad == 11 and "head" in report.problem


def test_wholesale_rewrite_with_another_key(logged: App) -> None:
    """Given an intruder who rebuilds every event and the head with a key of
    their own (copying even the key id), then event 1 is named."""
    theirs = AuditKey(b"x" * 32, Path("elsewhere"))
    with logged.db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_events).order_by(audit_events.c.seq))]
    prev = audit.GENESIS
    with intruder(_db_file(logged)) as db:
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = audit.event_hash(theirs, row)
            db.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?",
                       (row["prev_hash"], row["hash"], row["seq"]))
        db.execute("UPDATE audit_head SET hash = ?", (prev,))
    report = _verify(logged)
    assert report.first_bad == 1 and "altered" in report.problem


def test_database_restored_from_an_older_copy(logged: App, tmp_path: Path) -> None:
    logged.db.dispose()
    older = tmp_path / "older.db"
    shutil.copy(_db_file(logged), older)
    _write(logged, 5, start=N)
    logged.db.dispose()
    shutil.copy(older, _db_file(logged))
    for suffix in ("-wal", "-shm"):
        Path(f"{_db_file(logged)}{suffix}").unlink(missing_ok=True)
    report = _verify(logged)
    assert not report.ok and report.first_bad == N + 1 and "older copy" in report.problem


def test_missing_checkpoint_is_reported_and_not_silently_recreated(logged: App) -> None:
    audit.checkpoint_path(logged.settings).unlink()
    _write(logged, 2, start=N)
    report = _verify(logged)
    assert not report.ok and "missing" in report.problem and report.first_bad is None
    with logged.db.write() as conn:
        audit.reset_checkpoint(conn, audit.load_key(audit.key_path(logged.settings)),
                               audit.checkpoint_path(logged.settings))
    assert _verify(logged).ok


def test_missing_key_stops_recording(logged: App) -> None:
    audit.key_path(logged.settings).rename(logged.settings.data_dir / "moved.key")
    with pytest.raises(Exception, match="audit key file"), logged.db.write() as conn:
        audit.record(conn, audit.DocumentViewed(principal=SYSTEM, document_id=1))


def test_several_events_in_one_transaction_and_a_rollback(logged: App) -> None:
    with logged.db.write() as conn:
        audit.record(conn, audit.DocumentViewed(principal=SYSTEM, document_id=1))
        audit.record(conn, audit.PageViewed(principal=SYSTEM, document_id=1, page_no=2))
    with pytest.raises(RuntimeError), logged.db.write() as conn:
        audit.record(conn, audit.DocumentViewed(principal=SYSTEM, document_id=2))
        raise RuntimeError("the caller's work failed: its event goes too")
    _write(logged, 1, start=100)
    report = _verify(logged)
    assert report.ok and report.head_seq == N + 3


def test_record_needs_a_write_transaction(logged: App) -> None:
    with pytest.raises(RuntimeError, match="db.write"), logged.db.read() as conn:
        audit.record(conn, audit.DocumentViewed(principal=SYSTEM, document_id=1))


def test_disposing_of_a_document_keeps_its_events(app: App) -> None:
    with app.db.write() as conn:
        doc = insert_document(conn, doc_class="progress_note")
        audit.record(conn, audit.DocumentViewed(principal=Principal(1, "amy", "clinician", "cli:show"),
                                                document_id=doc))
    with app.db.write() as conn:
        conn.exec_driver_sql(f"DELETE FROM pages WHERE document_id = {doc}")
        conn.execute(documents.delete().where(documents.c.id == doc))
    with app.db.read() as conn:
        assert conn.execute(select(audit_events.c.seq).where(audit_events.c.document_id == doc)).all()
    assert _verify(app).ok
