"""The quarantine keeps refused files for ingest.quarantine_retention_days; then
`chartdesk quarantine purge` removes the files (their rows keep the reasons)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from sqlalchemy import select

from chartdesk import quarantine
from chartdesk.app import App
from chartdesk.db import audit_events, documents
from chartdesk.ingest import take
from tests.conftest import REPO, add_user, user_env, write_config


def test_expired_entries_go_and_rows_keep_their_reasons(app: App) -> None:
    inbox = app.settings.inbox("scans")
    (inbox.path / "blank.pdf").write_bytes(b"")
    outcome = take(app, inbox.path / "blank.pdf", inbox=inbox, remove=True)
    now = dt.datetime.now(dt.UTC)
    assert quarantine.expired(app.settings, now=now) == []
    later = now + dt.timedelta(days=app.settings.ingest.quarantine_retention_days + 1)
    old = quarantine.expired(app.settings, now=later)
    assert [e.path.name for e in old] == [f"{outcome.document_id:07d}-blank.pdf"]
    quarantine.remove(old[0])
    assert not old[0].path.exists() and not old[0].reason_path.exists()
    with app.db.read() as conn:
        row = conn.execute(select(documents.c.reason_code, documents.c.reason)).one()
    assert row.reason_code == "empty" and row.reason


def test_purge_is_a_dry_run_unless_told_and_is_audited(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from chartdesk import config
    from chartdesk.app import open_app

    cfg = write_config(tmp_path, ingest={"quarantine_retention_days": 1})
    app = open_app(config.load(cfg), create=True)
    add_user(app, "hal", "records")
    inbox = app.settings.inbox("scans")
    (inbox.path / "blank.pdf").write_bytes(b"")
    take(app, inbox.path / "blank.pdf", inbox=inbox, remove=True)
    entry = quarantine.entries(app.settings)[0]
    old_day = entry.path.parent.with_name("2020-01-01")
    entry.path.parent.rename(old_day)

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(cfg), "quarantine", *args],
                              cwd=REPO, env=user_env("hal"), capture_output=True, text=True, check=True)
        return done.stdout

    assert "would remove" in run("purge") and old_day.exists()
    assert "removed 1" in run("purge", "--execute") and not old_day.exists()
    with app.db.read() as conn:
        acts = conn.execute(select(audit_events.c.detail).where(audit_events.c.action == "retention_act")).scalars().all()
    assert any("quarantine_purged" in str(d) for d in acts)
