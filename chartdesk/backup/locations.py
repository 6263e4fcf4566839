"""Where this installation's backups are: the configured location and every
location `backup create` has written to (remembered in the database's `meta`
table, so a restored database still knows them)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import Connection

from chartdesk.backup.layout import Location
from chartdesk.config import Settings
from chartdesk.db import Database, get_meta, set_meta

log = logging.getLogger(__name__)

LOCATIONS_META = "backup.locations"


def remembered(conn: Connection) -> list[Path]:
    raw = get_meta(conn, LOCATIONS_META)
    try:
        return [Path(p) for p in json.loads(raw)] if raw else []
    except (ValueError, TypeError):
        log.warning("the list of backup locations in the database is unreadable; using the configured one only")
        return []


def remember(conn: Connection, root: Path) -> None:
    """Add a location to the list (inside the caller's write transaction)."""
    paths = [str(p) for p in remembered(conn)]
    if str(root) not in paths:
        set_meta(conn, LOCATIONS_META, json.dumps([*paths, str(root)]))


def known_locations(settings: Settings, conn: Connection | None = None) -> list[Location]:
    """The configured location first, then remembered ones, each once."""
    paths = [settings.backup.location] if settings.backup.location else []
    if conn is not None:
        paths += remembered(conn)
    else:
        paths += _remembered_from(settings)
    seen: dict[Path, Location] = {}
    for path in paths:
        resolved = path.expanduser().resolve()
        seen.setdefault(resolved, Location(resolved))
    return list(seen.values())


def _remembered_from(settings: Settings) -> list[Path]:
    if not (settings.data_dir / "chartdesk.db").is_file():
        return []
    db = Database(settings.database_url)
    try:
        with db.read() as conn:
            return remembered(conn)
    finally:
        db.dispose()
