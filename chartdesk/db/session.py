"""Engine and transactions.

Writers take the database lock when they begin (`BEGIN IMMEDIATE` on SQLite):
a deferred transaction that later writes can fail with SQLITE_BUSY at once,
whatever the busy timeout. Transactions are short; no stage runs inside one.
The SQLite-specific connection set-up lives here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url

from chartdesk.db.schema import meta, metadata
from chartdesk.errors import ConfigError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Database:
    """One engine per process. `write()` and `read()` give short transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: Engine = _make_engine(url, sqlite=self.is_sqlite)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that holds the write lock from its first statement."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(chartdesk_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def create(self) -> None:
        """Create the schema (idempotent) and record its version."""
        metadata.create_all(self.engine)
        with self.write() as conn:
            found = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
            if found is None:
                conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(found) > SCHEMA_VERSION:
                raise ConfigError(
                    f"the database was written by a newer chartdesk (schema {found}, this one knows {SCHEMA_VERSION})",
                    remedy="upgrade chartdesk before using this data directory",
                )

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, *, sqlite: bool) -> Engine:
    if not sqlite:
        return create_engine(url, pool_pre_ping=True)
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("chartdesk_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def get_meta(conn: Connection, key: str, default: str | None = None) -> str | None:
    value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    return default if value is None else value


def set_meta(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(meta.update().where(meta.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(meta.insert().values(key=key, value=value))


def bump_counter(conn: Connection, key: str) -> int:
    """Increment an integer kept in `meta` inside the caller's write transaction."""
    value = int(get_meta(conn, key, "0") or 0) + 1
    set_meta(conn, key, str(value))
    return value


def checkpoint(db: Database) -> None:
    """Fold the WAL back into the database file (keeps the WAL small)."""
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = ["Database", "utcnow", "get_meta", "set_meta", "bump_counter", "checkpoint", "text"]
