"""Several processes writing at once make one valid chain (3 x 500 events)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from chartdesk import audit
from chartdesk.app import App
from chartdesk.db import audit_events
from tests.conftest import REPO

WRITERS, EACH = 3, 500


def test_three_processes_make_one_chain(app: App, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    gate = tmp_path / "gate"
    gate.mkdir()
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.audit.writer_child", app.settings.database_url, str(EACH),
                          str(n), str(gate)], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
        for n in range(WRITERS)
    ]
    deadline = time.monotonic() + 120
    while len(list(gate.glob("ready-*"))) < WRITERS:
        assert all(proc.poll() is None for proc in procs), "a writer died before the start line"
        assert time.monotonic() < deadline, "the writers never got ready"
        time.sleep(0.02)
    (gate / "go").touch()
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    with app.db.read() as conn:
        report = audit.verify_log(app.settings, conn)
        actors = Counter(conn.execute(select(audit_events.c.actor)).scalars())
        seqs = list(conn.execute(select(audit_events.c.seq).order_by(audit_events.c.seq)).scalars())
        order = list(conn.execute(select(audit_events.c.actor).order_by(audit_events.c.seq)).scalars())
    assert report.ok, report.problem
    assert report.events_checked == WRITERS * EACH
    assert seqs == list(range(1, WRITERS * EACH + 1))
    assert actors == {f"writer-{n}": EACH for n in range(WRITERS)}
    switches = sum(a != b for a, b in zip(order, order[1:], strict=False))
    assert switches > WRITERS * 10, "the writers ran one after another; the test proved nothing"
