"""The service as staff meet it: `chartdesk run` watching real folders.

Files already waiting are swept in at start; a file still being written is not
taken until it is complete; a scanner's temp name is ignored until renamed; and
while a batch goes through, random `kill -9` of worker processes loses nothing
and commits each stage's result once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chartdesk import config
from chartdesk.app import open_app
from chartdesk.db import documents, pages, stage_results
from chartdesk.store import file_sha256
from tests.conftest import REPO, add_user, user_env, write_config
from tests.gen import FixtureCache


class Service:
    def __init__(self, cfg: Path) -> None:
        self.cfg = cfg
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        env.pop("CHARTDESK_FAULTS", None)
        self.log = (cfg.parent / "service.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chartdesk", "--config", str(cfg), "run"],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in path.read_text().split()]
        except FileNotFoundError:
            return []
        return [p for p in pids if "spawn_main" in _cmdline(p)]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.log.close()

    def output(self) -> str:
        return (self.cfg.parent / "service.log").read_text(errors="replace")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture
def service_cfg(tmp_path: Path) -> Path:
    cfg = write_config(tmp_path, pipeline={"workers": 2, "lease_seconds": 3})
    app = open_app(config.load(cfg), create=True)
    add_user(app, "it", "admin")
    app.close()
    return cfg


@pytest.fixture
def service(service_cfg: Path) -> Iterator[Service]:
    svc = Service(service_cfg)
    yield svc
    if svc.proc.poll() is None:
        svc.stop()


def _status(cfg: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "chartdesk", "--config", str(cfg), "status", "--json"],
        cwd=REPO, capture_output=True, text=True, check=True, env=user_env("it"),
    )
    return json.loads(out.stdout)


def _wait_until(predicate, timeout: float, what: str, svc: Service | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{svc.output()[-3000:]}" if svc else ""))


def _settled(doc) -> bool:  # type: ignore[no-untyped-def]
    """Through the pipeline and in the index (unmatched documents wait in review)."""
    return doc.state in ("indexed", "needs_review") and doc.indexed_version == doc.index_version


def _documents(cfg: Path) -> list:
    app = open_app(config.load(cfg))
    with app.db.read() as conn:
        rows = conn.execute(select(documents)).all()
    app.close()
    return rows


def test_files_waiting_at_start_partial_writes_and_temp_names(service_cfg: Path, gen: FixtureCache) -> None:
    settings = config.load(service_cfg)
    waiting = gen.build("born_digital", kind="referral_letter", seed=21)
    shutil.copyfile(waiting.path, settings.inbox("scans").path / "waiting.pdf")
    svc = Service(service_cfg)
    try:
        _wait_until(lambda: len(_documents(service_cfg)) == 1, 60, "the start-up sweep", svc)

        # A fax arriving slowly: half now, the rest later. Not taken while incomplete.
        fax = gen.build("fax", kind="lab_result", seed=22, mode="normal", compression="group3").path.read_bytes()
        slow = settings.inbox("faxes").path / "incoming.tif"
        with slow.open("wb") as out:
            out.write(fax[: len(fax) // 2])
            out.flush()
            time.sleep(2.0)
            assert slow.exists() and len(_documents(service_cfg)) == 1, "taken while still being written"
            out.write(fax[len(fax) // 2 :])

        # A scanner that writes under a temp name, then renames.
        scan = gen.build("scan", kind="progress_note", seed=23, fmt="pdf").path
        temp = settings.inbox("scans").path / "scan0001.pdf.part"
        shutil.copyfile(scan, temp)
        time.sleep(1.5)
        assert temp.exists(), "a temp name must be left alone"
        temp.rename(temp.with_name("scan0001.pdf"))

        _wait_until(
            lambda: len(docs := _documents(service_cfg)) == 3 and all(map(_settled, docs)), 180, "three indexed", svc
        )
        assert {d.sha256 for d in _documents(service_cfg)} == {
            file_sha256(waiting.path), file_sha256(scan),
            __import__("hashlib").sha256(fax).hexdigest(),
        }
        assert not any(p.is_file() for i in settings.inboxes for p in i.path.rglob("*"))
        assert _status(service_cfg)["index_backlog"] == 0
    finally:
        assert svc.stop() == 0, svc.output()[-3000:]


def test_random_kill_9_of_workers_loses_nothing_and_commits_once(service: Service, gen: FixtureCache) -> None:
    settings = config.load(service.cfg)
    built = [gen.build("fax", kind=k, seed=30 + i, mode="fine", compression="group4")
             for i, k in enumerate(["lab_result", "referral_letter", "progress_note", "prescription"] * 3)]
    built += [gen.build("born_digital", kind="imaging_report", seed=50 + i) for i in range(8)]
    expected = {file_sha256(b.path) for b in built}
    for i, b in enumerate(built):
        shutil.copyfile(b.path, settings.inbox("faxes").path / f"batch-{i:02d}{b.path.suffix}")
    rng = random.Random(7)
    kills = 0
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        docs = _documents(service.cfg)
        if len(docs) == len(built) and all(map(_settled, docs)):
            break
        time.sleep(rng.uniform(0.5, 2.5))
        workers = service.workers()
        if workers and kills < 8:
            os.kill(rng.choice(workers), signal.SIGKILL)
            kills += 1
    docs = _documents(service.cfg)
    assert kills >= 3, "the batch finished before the test could kill workers; make it bigger"
    assert {d.sha256 for d in docs} == expected
    assert all(map(_settled, docs)), [(d.id, d.state, d.last_error) for d in docs]
    app = open_app(settings)
    with app.db.read() as conn:
        dupes = conn.execute(
            select(stage_results.c.document_id, stage_results.c.stage, func.count())
            .group_by(stage_results.c.document_id, stage_results.c.stage)
            .having(func.count() > 1)
        ).all()
        page_rows = dict(conn.execute(select(pages.c.document_id, func.count()).group_by(pages.c.document_id)).all())
    assert dupes == []
    assert all(page_rows[d.id] == d.page_count for d in docs)
    assert all(app.store.verify(sha) for sha in expected)
    assert "exited with code" in service.output()  # the supervisor saw the kills and restarted workers


def test_workers_run_at_a_lower_cpu_priority_than_the_service(service: Service) -> None:
    """Given pipeline.worker_nice at its default (10), when `chartdesk run` starts its
    workers, then each worker and all its threads are 10 steps nicer than the service
    (a search page wins the CPU over OCR), and the service itself is not lowered."""
    step = config.PipelineSettings().worker_nice
    assert step == 10
    _wait_until(lambda: len(service.workers()) == 2, 60, "two workers", service)
    base = os.getpriority(os.PRIO_PROCESS, service.proc.pid)
    assert base == os.getpriority(os.PRIO_PROCESS, 0)
    for pid in service.workers():
        _wait_until(lambda pid=pid: _thread_niceness(pid) == {base + step}, 60, f"worker {pid} lowered", service)


def _thread_niceness(pid: int) -> set[int]:
    """The niceness of every thread of `pid` (Linux keeps it per thread)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found.add(int(fields[16]))  # field 19 of stat; [0] here is field 3
    return found
