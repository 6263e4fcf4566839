"""A crash at any instant loses no file and processes nothing twice.

Each fault point (chartdesk/faults.py) kills the child process with SIGKILL at
that exact instant, as a power cut would; a kill at a precise instant cannot be
caused from outside, so this seam is the one injected fault. Then the service's
own recovery runs (start-up reconcile, the inbox sweep, lease expiry) and the
end state is checked by SHA-256 sums and by one committed result per document
and stage.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chartdesk import config
from chartdesk.app import open_app
from chartdesk.db import documents, pages, stage_results
from chartdesk.reconcile import reconcile
from chartdesk.store import file_sha256
from tests.conftest import REPO, write_config
from tests.gen import FixtureCache


def _child(cfg: Path, *args: str, fault: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    env.pop("CHARTDESK_FAULTS", None)
    if fault:
        env["CHARTDESK_FAULTS"] = fault
    return subprocess.run(
        [sys.executable, "-m", "tests.pipeline.child", str(cfg), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.mark.parametrize("fault", ["after_temp_write", "after_rename", "after_commit"])
def test_a_kill_during_intake_loses_nothing_and_records_once(tmp_path: Path, gen: FixtureCache, fault: str) -> None:
    cfg = write_config(tmp_path)
    app = open_app(config.load(cfg), create=True)
    built = gen.build("fax", kind="lab_result", seed=11, mode="fine", compression="group4")
    dropped = app.settings.inbox("faxes").path / "fax 0001.tif"
    shutil.copyfile(built.path, dropped)

    killed = _child(cfg, "take", str(dropped), "faxes", fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert dropped.exists(), "the inbox file is only removed after the row is committed"

    reconcile(app)
    again = _child(cfg, "take", str(dropped), "faxes")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == ("leftover" if fault == "after_commit" else "stored")
    assert not dropped.exists()
    assert list(app.store.iter_hashes()) == [file_sha256(built.path)]
    assert app.store.verify(file_sha256(built.path))
    assert not any(app.store.tmp.iterdir())
    with app.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 1


@pytest.mark.parametrize("fault", ["after_stage_run", "mid_index_commit", "after_index_commit"])
def test_a_kill_while_processing_commits_each_result_once(tmp_path: Path, gen: FixtureCache, fault: str) -> None:
    cfg = write_config(tmp_path, pipeline={"lease_seconds": 2})
    app = open_app(config.load(cfg), create=True)
    built = gen.build("born_digital", kind="discharge_summary", seed=12)
    dropped = app.settings.inbox("scans").path / "summary.pdf"
    shutil.copyfile(built.path, dropped)
    assert _child(cfg, "take", str(dropped), "scans").returncode == 0

    killed = _child(cfg, "work", fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    finished = _child(cfg, "work")  # waits out the dead worker's lease, then finishes
    assert finished.returncode == 0, finished.stderr

    with app.db.read() as conn:
        doc = conn.execute(select(documents)).one()
        per_stage = conn.execute(
            select(stage_results.c.stage, func.count()).group_by(stage_results.c.stage)
        ).all()
        page_rows = conn.execute(select(func.count()).select_from(pages)).scalar_one()
    assert doc.state in ("indexed", "needs_review") and doc.indexed_version == doc.index_version
    assert all(n == 1 for _stage, n in per_stage), per_stage
    assert page_rows == built.page_count
    from chartdesk import index
    from chartdesk.index.filters import MatchAll

    idx = index.open_index(app.settings, writer=False)
    word = built.truths[0].split()[0]
    assert [h.doc_id for h in idx.search(f'"{word}"', visible=MatchAll()).hits] == [doc.id]
    assert idx.count() == 1
