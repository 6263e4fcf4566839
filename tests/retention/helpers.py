"""Checks shared by the retention tests: byte searches, audit events, the index."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import tantivy
from sqlalchemy import select

from chartdesk import retention
from chartdesk.app import App
from chartdesk.db import audit_events, documents
from tests.retention.conftest import MARKER, Site

TODAY = dt.date.today()


def files_holding(root: Path, needle: str = MARKER) -> list[str]:
    """Every file under `root` whose bytes contain `needle` (as UTF-8, or UTF-16 as some
    formats store text), as paths relative to `root`."""
    patterns = (needle.encode(), needle.encode("utf-16-le"), needle.upper().encode())
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(p in data for p in patterns):
                found.append(str(path.relative_to(root)))
    return found


def marker_term_count(site: Site) -> int:
    """Documents in the search index's segments (deleted ones included) holding MARKER as a term."""
    index = tantivy.Index.open(str(site.settings.index_dir / "tantivy"))
    index.reload()
    return int(index.searcher().doc_freq("raw", MARKER))


def actions(app: App, act: str | None = None) -> list[tuple[str, str, int | None, dict[str, object]]]:
    """(actor, act, document id, detail) of every retention_act event, oldest first."""
    import json

    with app.db.read() as conn:
        rows = conn.execute(select(audit_events).where(audit_events.c.action == "retention_act")
                            .order_by(audit_events.c.seq)).all()
    out = [(r.actor, json.loads(r.detail)["act"], r.document_id, json.loads(r.detail)) for r in rows]
    return [e for e in out if act is None or e[1] == act]


def states(app: App, ids: list[int]) -> dict[int, str]:
    with app.db.read() as conn:
        return dict(conn.execute(select(documents.c.id, documents.c.state).where(documents.c.id.in_(ids))).all())


def approve_and_apply(site: Site, *, approver: str = "carl", applier: str = "cora") -> retention.ApplyOutcome:
    plan = retention.plan_for(site.app, site.principal(approver), today=TODAY)
    retention.approve_plan(site.app, site.principal(approver), plan.short, note="checked", today=TODAY)
    return retention.apply(site.app, site.principal(applier), execute=True, today=TODAY)


def certificate_ids(path: Path) -> list[int]:
    with path.open(newline="") as f:
        return [int(row["document_id"]) for row in csv.DictReader(f)]
