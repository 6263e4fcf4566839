"""Verification finds what is wrong with a backup and says it plainly: a
corrupted original, a truncated database copy or file, an interrupted backup.
Each test damages its own fresh backup of the session's office. These backups
are unencrypted (`--unencrypted`), so the tests can read and damage the format
directly; test_encryption.py does the same to encrypted ones."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

from chartdesk import backup
from chartdesk.errors import ExitCode
from tests.backup.conftest import Office, Runner


def _take(run: Runner, office: Office, dest: Path) -> Path:
    code, out, err = run(office.cfg, "backup", "create", "--unencrypted", str(dest))
    assert code == 0, err
    assert "is not encrypted" in err
    (folder,) = (dest / "sets").iterdir()
    return folder


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _pool_file(dest: Path, sha: str) -> Path:
    path = dest / "pool" / sha[:2] / sha
    os.chmod(path, 0o600)
    return path


def test_a_fresh_backup_verifies(run: Runner, office: Office, tmp_path: Path) -> None:
    folder = _take(run, office, tmp_path / "b")
    code, out, err = run(office.cfg, "backup", "verify", str(tmp_path / "b"))
    assert code == 0, err
    assert f"{folder.name}: ok" in out
    (report,) = backup.verify_backups(folder)
    assert report.ok and report.audit_events > 0
    areas = {entry[0] for entry in _manifest(folder)["pool"]}
    assert {"store", "derived", "quarantine"} <= areas  # originals, page images, the quarantined file


def test_a_corrupted_original_is_named(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given a backup, when one byte of an original in its pool flips, then
    verify names that original as damaged and exits with the bad-input code."""
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    sha = next(e[2] for e in _manifest(folder)["pool"] if e[0] == "store")
    path = _pool_file(dest, sha)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    code, out, err = run(office.cfg, "backup", "verify", str(dest))
    assert code == ExitCode.bad_input
    assert f"the original file {sha[:12]} is damaged: its bytes no longer match its checksum" in out
    assert "is damaged" in err and "take a new backup now" in err


def test_a_truncated_database_copy_is_detected(run: Runner, office: Office, tmp_path: Path) -> None:
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    db_file = folder / "database.sqlite.gz"
    size = db_file.stat().st_size
    with db_file.open("r+b") as f:
        f.truncate(size // 2)
    (report,) = backup.verify_backups(folder)
    assert not report.ok
    assert f"the database copy database.sqlite.gz is cut off: {size // 2:,} of {size:,} bytes" in report.problems[0]
    code, _out, err = run(office.cfg, "backup", "verify", str(folder))
    assert code == ExitCode.bad_input and "cut off" in err


def test_a_truncated_original_and_a_missing_page_image_are_detected(run: Runner, office: Office,
                                                                    tmp_path: Path) -> None:
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    pool = _manifest(folder)["pool"]
    original = next(e for e in pool if e[0] == "store")
    image = next(e for e in pool if e[0] == "derived")
    with _pool_file(dest, original[2]).open("r+b") as f:
        f.truncate(100)
    _pool_file(dest, image[2]).unlink()
    (report,) = backup.verify_backups(dest)
    assert f"the original file {original[2][:12]} is cut off: 100 of {original[3]:,} bytes (the backup was truncated)" \
        in report.problems
    assert f"the page image {image[1]} is missing" in report.problems


def test_a_backup_without_its_manifest_is_incomplete(run: Runner, office: Office, tmp_path: Path) -> None:
    """A backup cut off before its manifest was written is never mistaken for a whole one."""
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    _take(run, office, tmp_path / "whole")
    pool = _manifest(folder)["pool"]
    (folder / "manifest.json").unlink()
    code, out, _err = run(office.cfg, "backup", "verify", str(dest))
    assert code == ExitCode.bad_input
    assert "it has no manifest: the backup did not finish (interrupted or cut off)" in out
    held = backup.backups_holding(office.settings, [e[2] for e in pool])
    assert held and all(h.path.parent.parent != dest for h in held)  # other tests' backups, not this one


def test_a_cut_off_manifest_is_reported(run: Runner, office: Office, tmp_path: Path) -> None:
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    text = (folder / "manifest.json").read_text()
    (folder / "manifest.json").write_text(text[: len(text) // 3])
    (report,) = backup.verify_backups(folder)
    assert report.problems == (f"backup {folder.name}: its manifest is cut off or damaged",)


def test_a_database_copy_that_is_not_what_was_backed_up_is_detected(run: Runner, office: Office,
                                                                    tmp_path: Path) -> None:
    """Given a backup whose database copy was swapped for another valid gzip file
    with a matching manifest entry, the expanded copy's own checksum still catches it."""
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    db_file = folder / "database.sqlite.gz"
    raw = gzip.decompress(db_file.read_bytes())
    db_file.write_bytes(gzip.compress(raw[:-4096] + bytes(4096)))
    body = _manifest(folder)
    body["files"]["database.sqlite.gz"] = {"size": db_file.stat().st_size,
                                           "sha256": hashlib.sha256(db_file.read_bytes()).hexdigest()}
    (folder / "manifest.json").write_text(json.dumps(body))
    (report,) = backup.verify_backups(folder)
    assert report.problems == ("the expanded database copy is damaged: its bytes no longer match its checksum",)


def test_the_next_backup_repairs_a_damaged_pool_file(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given a location whose copy of an original went bad, when the next backup
    runs, then it copies that original again from the live store and every
    backup in the location verifies (the pool file is shared)."""
    dest = tmp_path / "b"
    folder = _take(run, office, dest)
    sha = next(e[2] for e in _manifest(folder)["pool"] if e[0] == "store")
    _pool_file(dest, sha).write_bytes(b"bit rot")
    assert not backup.verify_backups(folder)[0].ok
    code, _out, err = run(office.cfg, "backup", "create", str(dest))
    assert code == 0, err
    assert all(report.ok for report in backup.verify_backups(dest))
