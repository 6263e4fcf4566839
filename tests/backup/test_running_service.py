"""Back up while `chartdesk run` is ingesting, restore on a new machine.

The service (its own process tree, as staff run it) takes a batch of faxes and
letters; the backup is taken while documents are still going through. The
restore must hold exactly the copy's documents with every original present and
whole, an audit log that verifies, a search that finds what the live search
found before the backup, and it must run: its service finishes the documents
that were mid-way when the copy was taken.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import audit, config
from chartdesk.app import open_app
from chartdesk.db import documents
from tests.backup.conftest import chartdesk, document_hashes, new_office, search_ids
from tests.conftest import REPO
from tests.gen import Built, FixtureCache

KINDS = ("lab_result", "referral_letter", "progress_note", "prescription", "imaging_report", "discharge_summary")


class Service:
    def __init__(self, cfg: Path) -> None:
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        env.pop("CHARTDESK_FAULTS", None)
        self.log_path = cfg.parent / "service.log"
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "chartdesk", "--config", str(cfg), "run"],
                                     cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture
def start() -> Iterator[Callable[[Path], Service]]:
    started: list[Service] = []

    def starter(cfg: Path) -> Service:
        started.append(Service(cfg))
        return started[-1]

    yield starter
    for svc in started:
        if svc.proc.poll() is None:
            svc.proc.kill()
            svc.proc.wait(timeout=30)


def _rows(cfg: Path) -> list:
    app = open_app(config.load(cfg))
    try:
        with app.db.read() as conn:
            return conn.execute(select(documents)).all()
    finally:
        app.close()


def _settled(doc) -> bool:  # type: ignore[no-untyped-def]
    return doc.state in ("indexed", "needs_review") and doc.indexed_version == doc.index_version


def _wait(predicate: Callable[[], bool], what: str, svc: Service, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{svc.output()}")


def _batch(gen: FixtureCache) -> list[Built]:
    letters = [gen.build("born_digital", kind=k, seed=700 + i) for i, k in enumerate(KINDS)]
    faxes = [gen.build("fax", kind=k, seed=720 + i, mode="fine", compression="group4")
             for i, k in enumerate(KINDS * 2)]
    return letters + faxes


def test_backup_during_a_running_ingest_restores_on_a_new_machine(
    tmp_path: Path, gen: FixtureCache, start: Callable[[Path], Service]
) -> None:
    cfg = new_office(tmp_path / "office")
    settings = config.load(cfg)
    batch = _batch(gen)
    svc = start(cfg)
    first, second = batch[:6], batch[6:]
    for i, built in enumerate(first):
        shutil.copyfile(built.path, settings.inbox("faxes").path / f"in-{i:02d}{built.path.suffix}")
    _wait(lambda: sum(map(_settled, _rows(cfg))) >= 2, "the first documents to be indexed", svc)

    names = sorted({b.document.patient.family for b in batch})
    found_before = {name: search_ids(settings, name) for name in names}
    # A second wave arrives as the backup starts, so the copy is taken while
    # documents are still coming in and being processed (the pipeline is fast
    # enough to have finished a single wave before the copy).
    for i, built in enumerate(second, start=len(first)):
        shutil.copyfile(built.path, settings.inbox("faxes").path / f"in-{i:02d}{built.path.suffix}")
    done = chartdesk(cfg, "backup", "create", str(tmp_path / "usb"))
    assert done.returncode == 0, done.stderr
    assert svc.proc.poll() is None, "the service must still be running"
    _wait(lambda: len(rows := _rows(cfg)) == len(batch) and all(map(_settled, rows)), "the whole batch", svc)
    assert svc.stop() == 0, svc.output()

    new_cfg = tmp_path / "new-machine" / "config.toml"
    done = chartdesk(new_cfg, "restore", str(tmp_path / "usb"))
    assert done.returncode == 0, done.stderr
    _check_restored(cfg, new_cfg, found_before)

    restored = start(new_cfg)
    _wait(lambda: all(map(_settled, _rows(new_cfg))), "the restored service to finish the copy's documents", restored)
    assert restored.stop() == 0, restored.output()


def _check_restored(cfg: Path, new_cfg: Path, found_before: dict[str, set[int]]) -> None:
    old, new = open_app(config.load(cfg)), open_app(config.load(new_cfg))
    try:
        restored, live = document_hashes(new), document_hashes(old)
        assert restored and restored.items() <= live.items()  # the copy's documents, same ids and bytes
        assert len(restored) < len(live) or not all(map(_settled, _rows(new_cfg))), "the copy was taken mid-ingest"
        assert all(new.store.verify(sha) for sha in restored.values())
        with new.db.read() as conn:
            report = audit.verify_log(new.settings, conn)
        assert report.ok, report.problem
        assert any(found_before.values())
        for name, before in found_before.items():
            assert before <= search_ids(new.settings, name), name
    finally:
        old.close()
        new.close()
