"""The index stage against a real SQLite database: batches, versions, states,
leases, identity, rebuild, readers that reload, and crashes at the fault points."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import access
from chartdesk.access import document_status
from chartdesk.app import App, open_app
from chartdesk.config import from_dict
from chartdesk.db import access_changes, documents, get_meta, leases, pages, patients, utcnow
from chartdesk.errors import LeaseLostError
from chartdesk.index import (
    LiveIndex,
    MatchAll,
    Not,
    backlog,
    index_pending,
    open_index,
    rebuild,
    status_of,
    term,
)
from chartdesk.index import feed as feed_mod
from chartdesk.stages import State

REPO = Path(__file__).resolve().parents[2]
WORKER = "indexer-1"


@dataclass
class Desk:
    app: App
    config: Path

    @property
    def db(self):  # noqa: ANN201
        return self.app.db

    @property
    def settings(self):  # noqa: ANN201
        return self.app.settings


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    config = tmp_path / "config.toml"
    config.write_text(
        '[paths]\ndata_dir = "data"\n[[inboxes]]\nname = "faxes"\npath = "inbox"\nsource = "fax"\n'
        "[pipeline]\nindex_batch_size = 50\nlease_seconds = 30\n",
        encoding="utf-8",
    )
    settings = from_dict(
        {"paths": {"data_dir": "data"}, "inboxes": [{"name": "faxes", "path": "inbox", "source": "fax"}],
         "pipeline": {"index_batch_size": 50, "lease_seconds": 30}},
        config,
    )
    app = open_app(settings, create=True)
    yield Desk(app, config)
    app.close()


def add_patient(desk: Desk, pid: int, family: str, given: str, *, born: dt.date | None = None, restricted: bool = False) -> None:
    now = utcnow()
    with desk.db.write() as conn:
        conn.execute(patients.insert().values(
            id=pid, mrn=f"MRN{pid}", family_name=family, given_name=given, birth_date=born,
            restricted=int(restricted), created_at=now, updated_at=now,
        ))


def add_document(desk: Desk, doc_id: int, page_texts: list[str], *, state: str = State.matched, stage: str | None = "index",
                 doc_class: str | None = "lab_result", patient_id: int | None = None, version: int = 1,
                 labels: tuple[str, ...] = (), labelled: bool = True) -> None:
    now = utcnow()
    with desk.db.write() as conn:
        conn.execute(documents.insert().values(
            id=doc_id, sha256=f"{doc_id:064x}", size_bytes=100, media_type="application/pdf", kind="pdf",
            original_name=f"scan-{doc_id}.pdf", source="fax", inbox="faxes", received_at=now, state=state,
            stage=stage, attempts=0, generation=1, flags={"labelled": True} if labelled else {},
            doc_class=doc_class, patient_id=patient_id,
            labels=list(labels), index_version=version, indexed_version=0, updated_at=now,
        ))
        for number, text in enumerate(page_texts, start=1):
            conn.execute(pages.insert().values(document_id=doc_id, page_no=number, text=text, method="ocr"))


def change(desk: Desk, doc_id: int, **values: object) -> None:
    """What another room does when something indexed changes: update and bump index_version."""
    with desk.db.write() as conn:
        conn.execute(documents.update().where(documents.c.id == doc_id)
                     .values(index_version=documents.c.index_version + 1, **values))


def row(desk: Desk, doc_id: int):  # noqa: ANN201
    with desk.db.read() as conn:
        return conn.execute(select(documents).where(documents.c.id == doc_id)).one()


def search_ids(desk: Desk, query: str, **kw: object) -> set[int]:
    index = open_index(desk.settings, writer=False)
    try:
        return set(index.search(query, visible=kw.pop("visible", MatchAll()), limit=100, **kw).doc_ids)  # type: ignore[arg-type]
    finally:
        index.close()


def pending(desk: Desk) -> int:
    with desk.db.read() as conn:
        return backlog(conn)


def seed(desk: Desk) -> None:
    add_patient(desk, 1, "Doe", "Jane", born=dt.date(1961, 3, 4))
    add_patient(desk, 2, "Staff", "Member", restricted=True)
    add_document(desk, 1, ["Hemoglobin A1c 7.1", "second page mentions zebrafinch"], patient_id=1)
    add_document(desk, 2, ["potassium normal"], state=State.needs_review, doc_class=None)
    add_document(desk, 3, ["hemoglobin 12"], patient_id=2, stage=None, state=State.indexed)
    add_document(desk, 4, ["never to be found: rejected junk"], state=State.rejected, stage=None)


def test_a_batch_indexes_records_versions_and_finishes_the_stage(desk: Desk) -> None:
    seed(desk)
    assert pending(desk) == 4
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 4
    assert pending(desk) == 0
    assert search_ids(desk, "hemoglobin") == {1, 3}
    assert search_ids(desk, "junk") == set()
    assert search_ids(desk, "Jane Doe") == {1}
    assert search_ids(desk, "03/04/1961") == {1}
    assert search_ids(desk, "", filters=term("status", "review")) == {2}
    assert search_ids(desk, "", filters=term("chart", "restricted")) == {3}
    assert search_ids(desk, "hemoglobin", visible=Not(term("chart", "restricted"))) == {1}
    assert row(desk, 1).state == State.indexed and row(desk, 1).stage is None
    assert row(desk, 2).state == State.needs_review and row(desk, 2).stage is None
    assert all(row(desk, i).indexed_version == row(desk, i).index_version for i in (1, 2, 3, 4))
    with desk.db.read() as conn:
        assert get_meta(conn, "index_generation") is not None
        assert conn.execute(select(leases)).first() is None, "the lease is released after the batch"
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 0


@pytest.mark.parametrize("state", sorted(State.INDEXABLE))
@pytest.mark.parametrize("doc_class", [None, "lab_result"])
@pytest.mark.parametrize("flags", [None, {}, {"labelled": True}, {"labelled": False}])
def test_status_agrees_with_the_access_policy(state: str, doc_class: str | None, flags: dict[str, bool] | None) -> None:
    """The index's status field must be what access.may() reads, or search could leak."""
    assert status_of(doc_class=doc_class, state=state, flags=flags) == document_status(state=state, doc_class=doc_class, flags=flags)


def test_a_classified_but_unlabelled_document_is_not_filed(desk: Desk) -> None:
    add_document(desk, 1, ["potassium"], labelled=False)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    assert search_ids(desk, "potassium", visible=term("status", "filed")) == set()
    assert search_ids(desk, "potassium", visible=term("status", "unclassified")) == {1}


def test_the_page_of_a_hit_is_the_page_in_the_database(desk: Desk) -> None:
    add_document(desk, 1, ["cover", "", "third page: zebrafinch"])
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    index = open_index(desk.settings, writer=False)
    try:
        [hit] = index.search("zebrafinch", visible=MatchAll()).hits
    finally:
        index.close()
    assert hit.page == 3


def test_changes_and_removals_follow_the_database(desk: Desk) -> None:
    seed(desk)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    change(desk, 1, labels=["urgent"])
    change(desk, 3, state=State.destroyed)
    assert pending(desk) == 2
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 2
    assert search_ids(desk, "label:urgent") == {1}
    assert search_ids(desk, "hemoglobin") == {1}


def test_an_access_change_is_forgotten_once_the_index_holds_it(desk: Desk) -> None:
    """Given a label change noted for search to exclude the document, when the
    indexer has written the new version, then the note is gone (the table search
    reads on every query holds only what is still pending), and a change made
    while a batch was in flight is kept."""
    seed(desk)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    with desk.db.write() as conn:
        access.mark_access_change(conn, [1, 2])
    assert feed_mod._take_lease(desk.db, WORKER, 30)
    with desk.db.read() as conn:
        batch = feed_mod._read_batch(conn, 10)
        assert access.pending_documents(conn) == {1, 2}
    with desk.db.write() as conn:
        access.mark_access_change(conn, [2])  # after the batch was read
    feed_mod._record(desk.db, batch, WORKER)
    feed_mod._release_lease(desk.db, WORKER)
    with desk.db.read() as conn:
        assert access.pending_documents(conn) == {2}
        assert set(conn.execute(select(access_changes.c.document_id)).scalars()) == {2}
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    with desk.db.read() as conn:
        assert access.pending_documents(conn) == frozenset()
        assert conn.execute(select(access_changes.c.document_id)).first() is None


def test_batches_respect_the_limit(desk: Desk) -> None:
    for i in range(1, 8):
        add_document(desk, i, [f"note {i} about asthma"])
    assert index_pending(desk.db, desk.settings, worker_id=WORKER, limit=3) == 3
    assert pending(desk) == 4
    while index_pending(desk.db, desk.settings, worker_id=WORKER, limit=3):
        pass
    assert search_ids(desk, "asthma") == set(range(1, 8))


def test_a_change_made_during_a_batch_is_picked_up_by_the_next(desk: Desk) -> None:
    """Given a batch read at version 1, when the document changes before the batch
    is recorded, then the compare-and-set leaves it pending (white-box: the two
    halves of a batch are called directly to put the change between them)."""
    add_document(desk, 1, ["old words"])
    assert feed_mod._take_lease(desk.db, WORKER, 30)
    with desk.db.read() as conn:
        batch = feed_mod._read_batch(conn, 10)
    change(desk, 1)
    feed_mod._record(desk.db, batch, WORKER)
    assert row(desk, 1).indexed_version == 0 and row(desk, 1).index_version == 2
    assert pending(desk) == 1


def test_a_worker_that_lost_the_lease_records_nothing(desk: Desk) -> None:
    add_document(desk, 1, ["words"])
    with desk.db.read() as conn:
        batch = feed_mod._read_batch(conn, 10)
    with pytest.raises(LeaseLostError):
        feed_mod._record(desk.db, batch, WORKER)
    assert pending(desk) == 1


def test_another_workers_lease_is_respected_until_it_expires(desk: Desk) -> None:
    add_document(desk, 1, ["words"])
    with desk.db.write() as conn:
        conn.execute(leases.insert().values(name="index_writer", owner="other", until=utcnow() + dt.timedelta(minutes=5)))
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 0
    with desk.db.write() as conn:
        conn.execute(leases.update().values(until=utcnow() - dt.timedelta(seconds=1)))
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 1


def test_rebuild_makes_the_index_match_the_database(desk: Desk) -> None:
    seed(desk)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    stray = open_index(desk.settings, writer=True)  # damage the index behind the feed's back
    stray.remove([1])
    stray.commit()
    stray.close()
    assert search_ids(desk, "hemoglobin") == {3}
    assert rebuild(desk.db, desk.settings) == 4
    assert search_ids(desk, "hemoglobin") == {1, 3}
    assert pending(desk) == 0


def test_a_lost_index_folder_is_rebuilt_by_the_next_batch(desk: Desk) -> None:
    seed(desk)
    index_pending(desk.db, desk.settings, worker_id=WORKER)
    shutil.rmtree(desk.settings.index_dir / "tantivy")
    assert index_pending(desk.db, desk.settings, worker_id=WORKER) == 4
    assert search_ids(desk, "hemoglobin") == {1, 3}


def test_a_live_reader_reloads_when_the_generation_changes(desk: Desk) -> None:
    live = LiveIndex.open(desk.db, desk.settings)
    try:
        assert live.search("asthma", visible=MatchAll()).total == 0
        add_document(desk, 1, ["asthma review"])
        index_pending(desk.db, desk.settings, worker_id=WORKER)
        assert live.search("asthma", visible=MatchAll()).doc_ids == [1]
        assert live.count() == 1
    finally:
        live.close()


def run_child(desk: Desk, fault: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    env.pop("CHARTDESK_FAULTS", None)
    if fault:
        env["CHARTDESK_FAULTS"] = fault
    return subprocess.run(
        [sys.executable, "-m", "tests.index.feed_child", str(desk.config), WORKER],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def assert_index_agrees_with_database(desk: Desk) -> None:
    with desk.db.read() as conn:
        rows = conn.execute(select(documents.c.id, documents.c.state)).all()
    wanted = {r.id for r in rows if r.state in State.INDEXABLE}
    assert search_ids(desk, "") == wanted
    index = open_index(desk.settings, writer=False)
    try:
        assert index.count() == len(wanted), "no document is in the index twice"
    finally:
        index.close()
    assert pending(desk) == 0


@pytest.mark.parametrize("fault", ["mid_index_commit", "after_index_commit"])
def test_a_crash_at_a_fault_point_leads_to_a_correct_reindex(desk: Desk, fault: str) -> None:
    seed(desk)
    killed = run_child(desk, fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert pending(desk) == 4, "the database was not told"
    if fault == "after_index_commit":
        assert search_ids(desk, "hemoglobin") == {1, 3}  # the index has them; the DB does not know
    else:
        assert search_ids(desk, "hemoglobin") == set()
    finished = run_child(desk, None)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "4"
    assert_index_agrees_with_database(desk)
    assert row(desk, 1).state == State.indexed and row(desk, 2).state == State.needs_review
