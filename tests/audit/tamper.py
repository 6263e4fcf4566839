"""Tampering as an intruder with the database file would: through a raw
sqlite3 connection, after dropping the append-only triggers (which the
application itself cannot get past)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TRIGGERS = ("audit_events_no_update", "audit_events_no_delete", "audit_head_forward", "audit_head_no_delete")


@contextmanager
def intruder(db_file: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(db_file, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()
