"""Restore onto a new machine brings back a working installation; it refuses to
replace live data without --replace-existing, and a restore that fails (wrong
password, a role without the backup permission, a damaged backup) leaves
nothing behind."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from chartdesk import audit, config
from chartdesk.app import open_app
from chartdesk.db import audit_events, documents, users
from chartdesk.errors import ExitCode
from tests.backup.conftest import Office, Runner, document_hashes, new_office, search_ids
from tests.conftest import add_user, write_config


def _backup(run: Runner, cfg: Path, dest: Path) -> Path:
    code, _out, err = run(cfg, "backup", "create", str(dest))
    assert code == 0, err
    return dest


def test_restore_on_a_fresh_machine(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given a backup of the office, when `chartdesk restore` runs on a machine with
    no config and no data, then the backup's config is written, every original is
    back and verifies, users log in, quarantine and page images are there, the
    audit log verifies with the restore as its last event, and search finds what
    it found before."""
    dest = _backup(run, office.cfg, tmp_path / "usb")
    new_cfg = tmp_path / "new-machine" / "config.toml"
    code, out, err = run(new_cfg, "restore", str(dest), user="it")
    assert code == 0, err
    assert "wrote the backup's config" in out and "audit log verifies" in out
    assert new_cfg.is_file() and (tmp_path / "new-machine" / "data" / "chartdesk.db").is_file()

    old, new = office.open(), open_app(config.load(new_cfg))
    try:
        hashes = document_hashes(old)
        assert document_hashes(new) == hashes
        assert all(new.store.verify(sha) for sha in hashes.values())
        for folder in ("quarantine", "derived"):
            old_files = sorted(p.relative_to(old.settings.data_dir / folder)
                               for p in (old.settings.data_dir / folder).rglob("*") if p.is_file())
            assert old_files and old_files == sorted(
                p.relative_to(new.settings.data_dir / folder) for p in (new.settings.data_dir / folder).rglob("*")
                if p.is_file())
        with new.db.read() as conn:
            assert audit.verify_log(new.settings, conn).ok
            last = conn.execute(select(audit_events).order_by(audit_events.c.seq.desc()).limit(2)).all()
            assert {r.action for r in last} == {"login", "retention_act"}
            assert conn.execute(select(func.count()).select_from(users)).scalar() == 2
        for doc in office.docs:
            assert search_ids(new.settings, doc.patient.family) == search_ids(old.settings, doc.patient.family) != set()
    finally:
        old.close()
        new.close()
    code, out, err = run(new_cfg, "status", user="rita")
    assert code == 0, err


def test_restore_over_live_data_is_refused_without_the_flag(run: Runner, office: Office, tmp_path: Path) -> None:
    dest = _backup(run, office.cfg, tmp_path / "usb")
    app = office.open()
    with app.db.read() as conn:
        before = conn.execute(select(func.count()).select_from(documents)).scalar()
    app.close()
    code, _out, err = run(office.cfg, "restore", str(dest))
    assert code == ExitCode.conflict
    assert "This installation already has data" in err and "--replace-existing" in err
    app = office.open()
    with app.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar() == before
        assert audit.verify_log(app.settings, conn).ok
    app.close()


def test_replace_existing_moves_the_live_data_aside(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given an installation backed up with one document that then took a second,
    when the backup is restored with --replace-existing, then the installation has
    one document again and the data with two is kept beside it."""
    cfg = new_office(tmp_path / "clinic")
    first, second = (sorted((office.root / "drop").glob("letter-*.pdf")))[:2]
    assert run(cfg, "ingest", str(first), user="rita")[0] == 0
    dest = _backup(run, cfg, tmp_path / "usb")
    assert run(cfg, "ingest", str(second), user="rita")[0] == 0
    code, out, err = run(cfg, "restore", str(dest), "--replace-existing")
    assert code == 0, err
    (aside,) = (tmp_path / "clinic").glob("data.before-restore-*")
    assert f"kept at {aside}" in out
    _count(tmp_path / "clinic" / "data", 1)
    _count(aside, 2)


def _count(data: Path, expected: int) -> None:
    conn = sqlite3.connect(data / "chartdesk.db")
    try:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == expected
    finally:
        conn.close()


def test_a_failed_restore_leaves_nothing_behind(run: Runner, office: Office, tmp_path: Path) -> None:
    """Wrong password, a role without the backup permission, no user at all and
    a damaged backup are each refused, and the new machine is as empty as before."""
    dest = _backup(run, office.cfg, tmp_path / "usb")
    new_cfg = tmp_path / "new-machine" / "config.toml"
    attempts = [
        (dict(user="it", password="not the password"), ExitCode.not_permitted, "wrong"),
        (dict(user="rita"), ExitCode.not_permitted, "does not allow this (backup)"),
        (dict(user=None), ExitCode.not_permitted, "--user NAME"),
    ]
    for kwargs, exit_code, message in attempts:
        code, _out, err = run(new_cfg, "restore", str(dest), **kwargs)  # type: ignore[arg-type]
        assert code == exit_code and message in err, (kwargs, err)
        assert not new_cfg.exists() and not (tmp_path / "new-machine" / "data").exists(), kwargs
    (folder,) = (dest / "sets").iterdir()
    for pooled in (p for p in (dest / "pool").rglob("*") if p.is_file()):  # names are HMACs: damage them all
        os.chmod(pooled, 0o600)
        pooled.write_bytes(b"not what was backed up")
    code, _out, err = run(new_cfg, "restore", str(folder))
    assert code == ExitCode.bad_input and "is damaged" in err
    assert not new_cfg.exists() and not (tmp_path / "new-machine" / "data").exists()


def test_a_backup_whose_config_points_at_live_data_is_refused(run: Runner, tmp_path: Path) -> None:
    """Given a backup whose config names an absolute data directory that is live
    on this machine, restoring it with no config at --config is refused, the
    config written from the backup is taken back and the live data is untouched."""
    (tmp_path / "clinic").mkdir()
    cfg = write_config(tmp_path / "clinic")  # absolute paths
    app = open_app(config.load(cfg), create=True)
    add_user(app, "it", "admin")
    app.close()
    dest = _backup(run, cfg, tmp_path / "usb")
    new_cfg = tmp_path / "new-machine" / "config.toml"
    code, _out, err = run(new_cfg, "restore", str(dest))
    assert code == ExitCode.conflict and "already has data" in err
    assert not new_cfg.exists()
    assert (tmp_path / "clinic" / "data" / "chartdesk.db").is_file()
    assert run(cfg, "audit", "verify")[0] == 0
