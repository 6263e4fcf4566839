"""Setting up the audit log of an installation (called by `chartdesk init`)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from chartdesk.audit.chain import GENESIS, VerifyReport, verify
from chartdesk.audit.keys import (
    checkpoint_path,
    key_path,
    load_key,
    read_checkpoint,
    record_paths,
    write_checkpoint,
)
from chartdesk.config import Settings
from chartdesk.db import Database, audit_head


def ensure_ready(settings: Settings, db: Database) -> None:
    """Record where the key and checkpoint live, and create the key (0600) and
    the first checkpoint while the log is still empty. Idempotent."""
    with db.write() as conn:
        record_paths(conn, settings)
        head = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar()
        if head is None:
            conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))
            head = 0
        empty = int(head) == 0
        key = load_key(key_path(settings), create=empty)
        if empty and read_checkpoint(checkpoint_path(settings)) is None:
            write_checkpoint(checkpoint_path(settings), key, 0, GENESIS)


def verify_log(settings: Settings, conn: Connection) -> VerifyReport:
    """Verify the installation's audit chain with its configured key and checkpoint."""
    return verify(conn, load_key(key_path(settings)), checkpoint_path(settings))
