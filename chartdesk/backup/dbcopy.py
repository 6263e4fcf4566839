"""The database copy. SQLite only, and the one module of this room that knows it:
a consistent copy through SQLite's online backup API while the service writes,
what the copy holds, and its (de)compression.

The copy is taken step by step inside one read transaction on the source: in
WAL mode that pins a snapshot, so writers carry on and the copy never restarts.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, create_engine, func, select
from sqlalchemy.engine import make_url

from chartdesk.backup.errors import UnsupportedDatabaseError
from chartdesk.backup.pool import CHUNK, fsync_file
from chartdesk.backup.sealing import Vault
from chartdesk.config import BackupCompression, Settings
from chartdesk.db import audit_events, audit_head, documents, get_meta, patients, users
from chartdesk.stages import State

PAGES_PER_STEP = 1024
Step = Callable[[int, int], None]  # pages done, pages in all

_NO_ORIGINAL = (State.rejected, State.destroyed)


def database_path(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise UnsupportedDatabaseError()
    return Path(url.database)


def page_count(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


def snapshot(source: Path, dest: Path, step: Step) -> None:
    """A consistent copy of the live database file at `source` into `dest`."""
    src = sqlite3.connect(source, isolation_level=None, timeout=30)
    try:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # pins the snapshot
        dst = sqlite3.connect(dest, isolation_level=None)
        try:
            src.backup(dst, pages=PAGES_PER_STEP, progress=lambda _s, left, total: step(total - left, total))
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    fsync_file(dest)


@contextmanager
def read_only(path: Path) -> Iterator[Connection]:
    """A read-only SQLAlchemy connection to a database copy (the copy is not changed)."""
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    finally:
        engine.dispose()


def integrity_problem(path: Path) -> str:
    """'' when SQLite's integrity check passes, else its first complaint."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        return f"the database copy cannot be read ({exc})"
    finally:
        conn.close()
    first = rows[0][0] if rows else "no answer"
    return "" if first == "ok" else f"the database copy fails SQLite's integrity check ({first})"


@dataclass(frozen=True)
class CopyFacts:
    originals: dict[str, tuple[int, int]]  # SHA-256 -> (size, a document id) of every original needed
    counts: dict[str, int]
    schema_version: str
    audit_head: int


def facts(conn: Connection) -> CopyFacts:
    need = (select(documents.c.sha256, func.max(documents.c.size_bytes), func.min(documents.c.id))
            .where(documents.c.state.not_in(_NO_ORIGINAL)).group_by(documents.c.sha256))
    originals = {str(sha): (int(size), int(doc)) for sha, size, doc in conn.execute(need)}
    counts = {name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
              for name, table in (("documents", documents), ("patients", patients), ("users", users),
                                  ("audit_events", audit_events))}
    head = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar()
    return CopyFacts(originals, counts, get_meta(conn, "schema_version", "") or "", int(head or 0))


def store(raw: Path, method: BackupCompression, folder: Path, vault: Vault) -> tuple[str, str, int]:
    """Store the local copy `raw` in the backup folder as configured, through the
    vault: (the stored file's name, SHA-256 and size of its bytes before sealing)."""
    name = raw.name + (".gz" if method == BackupCompression.gzip else "")
    stored = folder / name
    with vault.open_write(stored) as sealed:
        counted = _Counting(sealed)
        if method == BackupCompression.gzip:
            with raw.open("rb") as fin, gzip.GzipFile(filename="", fileobj=counted, mode="wb",  # type: ignore[arg-type]
                                                      compresslevel=6, mtime=0) as out:
                shutil.copyfileobj(fin, out, CHUNK)
        else:
            with raw.open("rb") as fin:
                shutil.copyfileobj(fin, counted, CHUNK)  # type: ignore[misc]
    fsync_file(stored)
    return name, counted.digest.hexdigest(), counted.size


class _Counting:
    """A writer that hashes and counts what passes through it."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()


def expand(stored: Path, method: str, dest: Path, vault: Vault) -> None:
    """Write the plain database file from its stored form (fsynced). SealError,
    OSError or EOFError when the stored form is damaged."""
    with vault.open_read(stored) as opened, dest.open("wb") as out:
        fin = gzip.GzipFile(fileobj=opened, mode="rb") if method == BackupCompression.gzip else opened
        shutil.copyfileobj(fin, out, CHUNK)
        out.flush()
        os.fsync(out.fileno())
