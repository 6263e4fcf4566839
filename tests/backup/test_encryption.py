"""Encrypted backup locations: nothing on the disk is readable without the
passphrase, damage of any kind is found, a wrong passphrase is refused, large
files stream, and unencrypted locations keep working (with a warning).

The restore round trip of an encrypted backup (every SHA-256, the audit chain,
search) is test_restore.py's: its backups are encrypted, the default path.
"""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path

import pytest

from chartdesk import access, audit, backup, config
from chartdesk.app import open_app
from chartdesk.backup.layout import Location, open_location, read_set
from chartdesk.backup.manifest import Manifest
from chartdesk.backup.sealing import (
    CHUNK,
    HEADER,
    TAG,
    SealedVault,
    SealError,
    copy_in,
    hash_stored,
)
from chartdesk.errors import ExitCode
from tests.backup.conftest import PASSPHRASE, Office, Runner, new_office

MB = 1024 * 1024


def _take(run: Runner, cfg: Path, dest: Path, *args: str) -> str:
    code, out, err = run(cfg, "backup", "create", *args, str(dest))
    assert code == 0, err
    return out


def _holds(root: Path, needle: bytes) -> list[str]:
    """Files under `root` whose bytes (or gzip-expanded bytes) contain `needle`."""
    found = []
    for path in (p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data.startswith(b"\x1f\x8b"):  # a gzip file (the unencrypted database copy)
            data += gzip.decompress(data)
        if needle in data:
            found.append(str(path.relative_to(root)))
    return found


def _manifest(dest: Path) -> tuple[Location, Manifest]:
    location = open_location(Location(dest), PASSPHRASE)
    (folder,) = location.complete_dirs()
    manifest = read_set(folder, location.vault).manifest
    assert manifest is not None
    return location, manifest


def _quarantined(cfg: Path, *sizes: int, first: int = 101) -> list[Path]:
    """Files of the given sizes put in the clinic's quarantine (a backup keeps them),
    named as documents `first`, `first + 1`, ..."""
    folder = config.load(cfg).quarantine_dir / "2026-01-02"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, size in enumerate(sizes, start=first):
        path = folder / f"{n:07d}-scan.pdf"
        with path.open("wb") as f:
            for start in range(0, size, MB):
                f.write(os.urandom(min(MB, size - start)))
        paths.append(path)
    return paths


def test_an_encrypted_location_holds_no_plaintext(run: Runner, office: Office, tmp_path: Path) -> None:
    """Given the office backed up twice, encrypted and (for comparison) not, then a
    patient's name, a letter's bytes, the audit key and the config are found in
    the unencrypted location and nowhere in the encrypted one; its pool files are
    not named by their SHA-256, and the second backup copies no file again."""
    settings = office.settings
    letter = sorted((office.root / "drop").glob("letter-*.pdf"))[0].read_bytes()
    patient = next(d.patient for d in office.docs if d.patient.family.isascii())
    needles = {
        "patient name": patient.family.encode(),
        "MRN": office.docs[0].facts["mrn"].encode(),
        "letter bytes": letter[len(letter) // 2: len(letter) // 2 + 48],
        "audit key": audit.key_path(settings).read_bytes().strip()[-32:],
        "config": b"data_dir",
    }
    _take(run, office.cfg, tmp_path / "plain", "--unencrypted")
    for what, needle in needles.items():
        assert _holds(tmp_path / "plain", needle), what  # the needles are real

    out = _take(run, office.cfg, tmp_path / "usb")
    assert (tmp_path / "usb" / "key.json").is_file()
    for what, needle in needles.items():
        assert _holds(tmp_path / "usb", needle) == [], what
    location, manifest = _manifest(tmp_path / "usb")
    names = {p.name for p in (tmp_path / "usb" / "pool").rglob("*") if p.is_file()}
    assert names == {location.pool_path(e.sha256).name for e in manifest.pool}
    assert not names & manifest.sha256s()
    assert "original files" in out and " 0 new files" not in out
    again = _take(run, office.cfg, tmp_path / "usb")
    assert " 0 new files (0 B)" in again  # dedupe works on the keyed names


def test_damage_is_found_and_named(run: Runner, tmp_path: Path) -> None:
    """Given an encrypted backup holding three 3 MB files (three chunks each), when
    one has a byte flipped, one is cut off at a chunk boundary and one has two
    chunks swapped, then verify names each file and what is wrong with it."""
    cfg = new_office(tmp_path / "clinic")
    _quarantined(cfg, 3 * MB, 3 * MB, 3 * MB)
    _take(run, cfg, tmp_path / "usb")
    location, manifest = _manifest(tmp_path / "usb")
    flipped, cut, swapped = (location.pool_path(e.sha256) for e in sorted(
        (e for e in manifest.pool if e.area == "quarantine" and e.size == 3 * MB), key=lambda e: e.path))
    for path in (flipped, cut, swapped):
        os.chmod(path, 0o600)
    data = bytearray(flipped.read_bytes())
    data[HEADER + CHUNK + 100] ^= 0x01
    flipped.write_bytes(bytes(data))
    with cut.open("r+b") as f:
        f.truncate(HEADER + 2 * (CHUNK + TAG))
    data = bytearray(swapped.read_bytes())
    first, second = slice(HEADER, HEADER + CHUNK + TAG), slice(HEADER + CHUNK + TAG, HEADER + 2 * (CHUNK + TAG))
    data[first], data[second] = data[second], data[first]
    swapped.write_bytes(bytes(data))

    code, out, err = run(cfg, "backup", "verify", str(tmp_path / "usb"))
    assert code == ExitCode.bad_input, err
    assert ("a quarantined file of document 101 is damaged: its chunk 2 fails its authentication check "
            "(altered, moved from elsewhere, or cut off)") in out
    stored = SealedVault(os.urandom(32)).stored_size(3 * MB)
    assert f"a quarantined file of document 102 is cut off: {HEADER + 2 * (CHUNK + TAG):,} of {stored:,} bytes" in out
    assert "a quarantined file of document 103 is damaged: its chunk 1 fails its authentication check" in out
    code, _out, err = run(tmp_path / "new" / "config.toml", "restore", str(tmp_path / "usb"))
    assert code == ExitCode.bad_input and "is damaged" in err
    assert not (tmp_path / "new" / "config.toml").exists() and not (tmp_path / "new" / "data").exists()


def test_the_sealed_stream_itself_finds_a_cut_at_a_chunk_boundary(tmp_path: Path) -> None:
    """Without a manifest's sizes: a file cut after a whole chunk, a missing
    middle chunk and trailing bytes are each refused by the reader."""
    vault = SealedVault(os.urandom(32))
    (tmp_path / "plain").write_bytes(os.urandom(2 * CHUNK + 10))
    copy_in(tmp_path / "plain", tmp_path / "sealed", vault)
    whole = (tmp_path / "sealed").read_bytes()
    one = CHUNK + TAG
    damaged = {
        "cut at a boundary": whole[:HEADER + 2 * one],
        "a chunk dropped": whole[:HEADER + one] + whole[HEADER + 2 * one:],
        "bytes added": whole + b"\0",
        "another key": None,
    }
    for what, data in damaged.items():
        if data is not None:
            (tmp_path / "bad").write_bytes(data)
        with pytest.raises(SealError):
            hash_stored(tmp_path / "bad" if data is not None else tmp_path / "sealed",
                        SealedVault(os.urandom(32)) if data is None else vault)
        assert what
    assert hash_stored(tmp_path / "sealed", vault)[1] == 2 * CHUNK + 10


def test_a_wrong_or_missing_passphrase_is_refused_clearly(run: Runner, office: Office, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    usb = tmp_path / "usb"
    _take(run, office.cfg, usb)
    monkeypatch.setenv(backup.PASSPHRASE_ENV, "not the passphrase at all")
    for args in (["backup", "verify", str(usb)], ["backup", "create", str(usb)], ["backup", "prune", str(usb)]):
        code, _out, err = run(office.cfg, *args)
        assert code == ExitCode.not_permitted, (args, err)
        assert f"The backup passphrase does not open the backup location {usb}" in err
        assert "Give the passphrase this location was created with" in err
    new_cfg = tmp_path / "new-machine" / "config.toml"
    code, _out, err = run(new_cfg, "restore", str(usb))
    assert code == ExitCode.not_permitted and "does not open" in err
    assert not new_cfg.exists() and not (tmp_path / "new-machine" / "data").exists()

    monkeypatch.delenv(backup.PASSPHRASE_ENV)
    code, _out, err = run(office.cfg, "backup", "verify", str(usb))
    assert code == ExitCode.config_error
    assert "is encrypted: verifying its backups needs its passphrase" in err and backup.PASSPHRASE_ENV in err
    code, _out, err = run(new_cfg, "restore", str(usb))
    assert code == ExitCode.config_error and "restoring a backup needs its passphrase" in err
    assert not new_cfg.exists()
    code, out, _err = run(office.cfg, "backup", "list", str(usb))  # the plain header: when, not what
    assert code == 0 and "encrypted (what it holds is shown with the backup passphrase)" in out
    code, out, _err = run(office.cfg, "backup", "prune", str(usb))
    assert code == 0 and "kept 1" in out


def test_without_a_passphrase_a_new_location_is_refused_and_an_old_one_works(
        run: Runner, office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given no passphrase, `backup create` refuses a new location (and makes
    nothing) unless --unencrypted; a location made so keeps working, with a warning."""
    monkeypatch.delenv(backup.PASSPHRASE_ENV)
    usb = tmp_path / "usb"
    code, _out, err = run(office.cfg, "backup", "create", str(usb))
    assert code == ExitCode.config_error
    assert "would be a new backup location without encryption" in err
    assert "backup.passphrase_file" in err and "--unencrypted" in err
    assert not usb.exists()
    for args in (["--unencrypted"], []):
        code, _out, err = run(office.cfg, "backup", "create", *args, str(usb))
        assert code == 0, err
        assert f"warning: the backup location {usb} is not encrypted" in err
    assert not (usb / "key.json").exists()
    code, out, _err = run(office.cfg, "backup", "list", str(usb))
    assert out.count("NOT ENCRYPTED") == 2
    monkeypatch.setenv(backup.PASSPHRASE_ENV, PASSPHRASE)  # a passphrase does not change an existing location
    code, _out, err = run(office.cfg, "backup", "create", str(usb))
    assert code == 0 and "is not encrypted" in err and not (usb / "key.json").exists()


def test_the_passphrase_file(run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """backup.passphrase_file, relative to the config, must be readable by its owner only."""
    monkeypatch.delenv(backup.PASSPHRASE_ENV)
    cfg = new_office(tmp_path / "clinic", backup={"passphrase_file": "backup-passphrase"})
    secret = tmp_path / "clinic" / "backup-passphrase"
    secret.write_text(PASSPHRASE + "\n")
    os.chmod(secret, 0o644)
    code, _out, err = run(cfg, "backup", "create", str(tmp_path / "usb"))
    assert code == ExitCode.config_error and f"chmod 600 {secret}" in err
    os.chmod(secret, 0o600)
    _take(run, cfg, tmp_path / "usb")
    assert (tmp_path / "usb" / "key.json").is_file()
    code, out, err = run(cfg, "backup", "verify", str(tmp_path / "usb"))
    assert code == 0 and ": ok" in out, err
    secret.write_text("short\n")
    code, _out, err = run(cfg, "backup", "create", str(tmp_path / "usb2"))
    assert code == ExitCode.config_error and "fewer than 12 characters" in err


def test_a_large_file_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given a 50 MB file in the installation, backing it up into an encrypted
    location (sealing, then opening it again to verify) allocates a small
    fraction of its size at any time; the next backup copies only a new file."""
    monkeypatch.setenv(backup.PASSPHRASE_ENV, PASSPHRASE)
    cfg = new_office(tmp_path / "clinic")
    _quarantined(cfg, 50 * MB)
    app = open_app(config.load(cfg))
    it = access.principal_for(app.settings.access, user_id=1, username="it", role="admin", client="test")
    try:
        tracemalloc.start()
        try:
            first = backup.create_backup(app, it, tmp_path / "usb")
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert first.copied_bytes > 50 * MB
        assert peak < 12 * MB, f"peak {peak / MB:.1f} MB while backing up a 50 MB file"
        _quarantined(cfg, 10, first=102)  # a new small file beside it
        (second,) = [backup.create_backup(app, it, tmp_path / "usb")]
        assert second.copied_files == 1 and second.copied_bytes < MB
    finally:
        app.close()
    (report,) = backup.verify_backups(tmp_path / "usb" / "sets" / first.manifest.id, passphrase=PASSPHRASE)
    assert report.ok, report.problems


def test_a_new_passphrase_opens_the_same_backups_and_the_old_one_no_longer_does(
        run: Runner, office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given an encrypted location, when `backup passphrase` gives it a new passphrase,
    then no backed-up file changed, the new passphrase verifies every backup, the old
    one is refused, the change is audited; a plain location and a wrong current
    passphrase are refused with the fix."""
    usb = tmp_path / "usb"
    _take(run, office.cfg, usb)
    files = {p: p.read_bytes() for p in usb.rglob("*") if p.is_file() and p.name != "key.json"}
    new = tmp_path / "new-passphrase"
    new.write_text("a different, longer passphrase for the new manager\n")
    code, out, err = run(office.cfg, "backup", "passphrase", "--new-passphrase-file", str(new), str(usb))
    assert code == 0, err
    assert "now opens with the new passphrase" in out
    assert {p: p.read_bytes() for p in usb.rglob("*") if p.is_file() and p.name != "key.json"} == files
    code, out, err = run(office.cfg, "backup", "verify", str(usb))
    assert code == ExitCode.not_permitted and "does not open" in err  # the old passphrase
    monkeypatch.setenv(backup.PASSPHRASE_ENV, "a different, longer passphrase for the new manager")
    code, out, err = run(office.cfg, "backup", "verify", str(usb))
    assert code == 0 and ": ok" in out, err
    app = open_app(config.load(office.cfg))
    try:
        with app.db.read() as conn:
            acts = [r.detail for r in audit.query_events(conn, audit.AuditQuery(actions=("retention_act",)))]
    finally:
        app.close()
    assert any(d.get("act") == "backup_passphrase_changed" and d.get("location") == str(usb) for d in acts)

    code, _out, err = run(office.cfg, "backup", "passphrase", "--new-passphrase-file", str(new), str(usb))
    assert code == ExitCode.usage and "is the one the location has" in err
    monkeypatch.setenv(backup.PASSPHRASE_ENV, PASSPHRASE)  # no longer this location's
    code, _out, err = run(office.cfg, "backup", "passphrase", "--new-passphrase-file", str(new), str(usb))
    assert code == ExitCode.not_permitted and "does not open" in err
    plain = tmp_path / "plain"
    _take(run, office.cfg, plain, "--unencrypted")
    code, _out, err = run(office.cfg, "backup", "passphrase", "--new-passphrase-file", str(new), str(plain))
    assert code == ExitCode.usage and "is not encrypted" in err
