"""A writer process for the concurrency test: N events, each in its own write
transaction. Usage: python -m tests.audit.writer_child URL N TAG GATE_DIR

Each writer connects, says it is ready (GATE_DIR/ready-TAG) and waits for GATE_DIR/go, so all
writers start together instead of one finishing before the next has imported; between events it
yields for a millisecond, as a real client does between requests, so the lock changes hands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.db import Database


def main(url: str, count: int, tag: str, gate: Path) -> None:
    db = Database(url)
    principal = Principal(user_id=None, username=f"writer-{tag}", role="system", client=f"test:{tag}")
    with db.read() as conn:  # connect before the start line, so the start is the writes
        conn.exec_driver_sql("SELECT 1")
    (gate / f"ready-{tag}").touch()
    deadline = time.monotonic() + 120
    while not (gate / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("the test never said go")
        time.sleep(0.01)
    for i in range(count):
        with db.write() as conn:
            audit.record(conn, audit.Search(principal=principal, query=f"{tag}-{i}", result_count=i))
        time.sleep(0.001)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
