"""Retention reaches backups: `backups_holding` says which backups still hold
given originals and when they age out; prune removes expired backups (keeping
the newest `keep_last`), interrupted ones and pool files nothing needs, and is
audited. Also the CLI's shorthand, default location and progress."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from sqlalchemy import select

from chartdesk import access, backup, config
from chartdesk.app import open_app
from chartdesk.backup.layout import Location, open_location, read_set
from chartdesk.db import audit_events
from chartdesk.errors import ExitCode
from tests.backup.conftest import (
    PASSPHRASE,
    Office,
    Runner,
    document_hashes,
    new_office,
    view_first_pages,
)


def _clinic(run: Runner, office: Office, root: Path, files: list[Path], **sections: dict) -> Path:
    cfg = new_office(root, **sections)
    assert run(cfg, "ingest", *map(str, files), user="rita")[0] == 0
    view_first_pages(config.load(cfg), "rita")  # their images are drawn on first view
    return cfg


def _letters(office: Office) -> list[Path]:
    return sorted((office.root / "drop").glob("letter-*.pdf"))


def _hashes(cfg: Path) -> dict[int, str]:
    app = open_app(config.load(cfg))
    try:
        return document_hashes(app)
    finally:
        app.close()


def test_backups_holding_and_prune(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given backups A, B, C of a clinic in an encrypted location (a page image
    deleted after A, a letter added before B), when prune runs 31 days later with
    keep_last = 2, then A is removed with the page image only A held, an
    interrupted backup is cleared, the act is audited, and `backups_holding` no
    longer names A."""
    letters = _letters(office)
    cfg = _clinic(run, office, tmp_path / "clinic", letters[:1], backup={"keep_last": 2, "retention_days": 30})
    settings = config.load(cfg)
    usb = tmp_path / "usb"
    assert run(cfg, "backup", "create", str(usb))[0] == 0
    image = next(p for p in settings.derived_dir.rglob("*") if p.is_file())
    image.unlink()
    assert run(cfg, "ingest", str(letters[1]), user="rita")[0] == 0
    assert run(cfg, "backup", str(usb))[0] == 0  # the shorthand for `backup create`
    assert run(cfg, "backup", "create", str(usb))[0] == 0
    a, b, c = sorted(p for p in (usb / "sets").iterdir())
    first, second = _hashes(cfg).values()

    held = backup.backups_holding(settings, [first, second, "0" * 64])
    assert [h.path for h in held] == [a, b, c]
    assert [h.sha256s for h in held] == [{first}, {first, second}, {first, second}]
    taken = dt.datetime.fromisoformat(json.loads((a / "manifest.json").read_text())["taken_at"])
    assert held[0].taken_at == taken and held[0].expires_at == taken + dt.timedelta(days=30)

    (usb / "sets" / "2020-01-01T00-00-00Z.partial").mkdir()
    location = open_location(Location(usb), PASSPHRASE)  # encrypted: the manifest's pool is sealed
    manifest = read_set(a, location.vault).manifest
    assert manifest is not None
    image_sha = next(e.sha256 for e in manifest.pool
                     if e.area == "derived" and e.path == image.relative_to(settings.derived_dir).as_posix())
    image_file = location.pool_path(image_sha)
    assert image_file.is_file() and image_file.name != image_sha  # named by an HMAC, not the SHA-256
    code, out, _err = run(cfg, "backup", "prune", "--dry-run")
    assert code == 0 and "would remove 0 backup(s)" in out and a.exists()

    app = open_app(settings)
    try:
        it = access.principal_for(settings.access, user_id=1, username="it", role="admin", client="test")
        (result,) = backup.prune_backups(app, it, now=held[-1].expires_at + dt.timedelta(days=1))
        assert result.removed == (a.name,) and result.kept == (b.name, c.name)
        assert result.interrupted_removed == 1 and result.pool_files_removed == 1
        assert not a.exists() and not image_file.exists()
        with app.db.read() as conn:
            event = conn.execute(select(audit_events).order_by(audit_events.c.seq.desc()).limit(1)).one()
        detail = json.loads(event.detail)
        assert (event.action, detail["act"], detail["removed"]) == ("retention_act", "backup_pruned", [a.name])
    finally:
        app.close()
    assert [h.path for h in backup.backups_holding(settings, [first])] == [b, c]
    code, out, _err = run(cfg, "backup", "verify", str(usb))
    assert code == 0 and out.count(": ok") == 2


def test_cli_destination_progress_and_list(run: Runner, office: Office, tmp_path: Path) -> None:
    cfg = _clinic(run, office, tmp_path / "clinic", _letters(office)[:1])
    code, _out, err = run(cfg, "backup", "create")
    assert code == ExitCode.config_error and "No backup destination was given" in err

    cfg = _clinic(run, office, tmp_path / "clinic2", _letters(office)[:1], backup={"location": "backups"})
    code, out, err = run(cfg, "backup", "create")
    assert code == 0, err
    assert "database" in err and "original files" in err and "verifying" in err  # the rich progress bars
    assert str(tmp_path / "clinic2" / "backups" / "sets") in out
    app = open_app(config.load(cfg))
    with app.db.read() as conn:
        event = conn.execute(select(audit_events).order_by(audit_events.c.seq.desc()).limit(1)).one()
    app.close()
    detail = json.loads(event.detail)
    assert (event.action, event.actor, detail["form"], detail["documents"]) == ("exported", "it", "backup", 1)
    code, out, _err = run(cfg, "backup", "list")
    assert code == 0 and "1 documents" in out and "expires" in out
    code, out, _err = run(cfg, "backup", "verify")
    assert code == 0 and ": ok" in out
    code, _out, err = run(cfg, "backup", "create", user="rita")
    assert code == ExitCode.not_permitted and "(backup)" in err


def test_a_damaged_original_in_the_store_is_reported(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given a live original whose bytes changed, the backup is still taken (it
    holds everything else), names the document and exits non-zero; verify names it too."""
    cfg = _clinic(run, office, tmp_path / "clinic", _letters(office)[:2])
    settings = config.load(cfg)
    (doc_id, sha), _ = _hashes(cfg).items()
    blob = settings.store_dir / sha[:2] / sha[2:4] / sha
    os.chmod(blob, 0o600)
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    code, _out, err = run(cfg, "backup", "create", str(tmp_path / "usb"))
    assert code == ExitCode.bad_input
    assert f"the original of document {doc_id} is damaged in the store" in err
    assert "1 original file(s) could not be copied" in err
    (report,) = backup.verify_backups(tmp_path / "usb", passphrase=PASSPHRASE)
    assert report.problems == (f"the original file {sha[:12]} could not be copied when this backup was taken "
                               "(missing or damaged in the store)",)


def test_one_backup_or_prune_at_a_time_per_location(run: Runner, office: Office, tmp_path: Path) -> None:
    """While a backup holds a location (its lock), a second backup or a prune there
    is refused with the conflict code; once it is released both work."""
    usb = Location(tmp_path / "usb")
    with usb.locked():
        for args in (["backup", "create", str(usb.root)], ["backup", "prune", str(usb.root)]):
            code, _out, err = run(office.cfg, *args)
            assert code == ExitCode.conflict and "Another backup or prune is working on" in err, err
    assert run(office.cfg, "backup", "create", str(usb.root))[0] == 0
    assert run(office.cfg, "backup", "prune", str(usb.root))[0] == 0
