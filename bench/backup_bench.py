"""Backup and restore on a generated installation.

    .venv/bin/python -m bench.backup_bench [--docs 2000] [--rounds 3]

Builds an installation without OCR: `--docs` documents, each with a 64 KB
original (random bytes: scans and faxes are compressed already), a page of
text, a 24 KB page image and an audit event. Then, each timed `--rounds`
times (median reported):

  copytree      shutil.copytree of the data directory: the reference, a plain
                offline copy with no consistency, no checksums, no verification
  copytree-sync the same followed by sync(2), so its files are on disk as a backup's are
  full          `create_backup` into an empty unencrypted location (gzip, full verify)
  full-enc      the same into an encrypted location (AES-256-GCM; Argon2id unlock included)
  full-none     the same as full with compression = "none"
  again         a second backup with nothing changed (full verify: reads the pool)
  again-quick   the same with `--quick` (earlier files checked by size)
  again-enc     `again` in the encrypted location (full verify decrypts the pool)
  verify        `verify_backups` of one backup (checksums, database, audit chain)
  verify-enc    the same of an encrypted backup (every file decrypted)
  hash-ref      sha256 of every file of the data directory: verify's reference
  restore       `restore_backup` onto an empty data directory (with index rebuild)
  restore-enc   the same from the encrypted backup

Ratios are against copytree (backups, restore) or hash-ref (verify), measured
in the same command; the last column puts each encrypted step against its
unencrypted twin. Sizes: the database file and its gzip copy.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from chartdesk import access, audit, backup, config
from chartdesk.app import App, open_app
from chartdesk.db import documents, pages, utcnow

PASSWORD = "bench password for the admin account"
PASSPHRASE = "bench passphrase for the backup disk"
WORDS = ("patient", "hemoglobin", "metformin", "referral", "follow", "up", "blood", "pressure", "normal",
         "results", "lisinopril", "history", "exam", "plan", "assessment", "daily", "mg", "tablet")


def build(root: Path, docs: int, rng: random.Random) -> Path:
    cfg = root / "office" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[paths]\ndata_dir = "data"\n[[inboxes]]\nname = "scans"\npath = "inbox"\nsource = "scan"\n'
                   '[access.login]\nargon2_time_cost = 1\nargon2_memory_kib = 8192\n')
    app = open_app(config.load(cfg), create=True)
    with app.db.write() as conn:
        access.add_user(conn, access.SYSTEM, app.settings.access, username="it", role="admin",
                        password=PASSWORD, temporary=False)
    for start in range(0, docs, 200):
        _batch(app, range(start, min(docs, start + 200)), rng)
    app.close()
    return cfg


def _batch(app: App, numbers: range, rng: random.Random) -> None:
    blobs = [app.store.put_stream(io.BytesIO(rng.randbytes(64 * 1024))) for _ in numbers]
    now = utcnow()
    with app.db.write() as conn:
        for blob in blobs:
            doc_id = conn.execute(documents.insert().values(
                sha256=blob.sha256, size_bytes=blob.size, media_type="application/pdf", kind="pdf",
                original_name="scan.pdf", source="scan", inbox="scans", received_at=now, state="indexed",
                attempts=0, generation=1, flags={}, labels=[], index_version=1, indexed_version=0,
                updated_at=now)).inserted_primary_key[0]
            text = " ".join(rng.choice(WORDS) for _ in range(250))
            conn.execute(pages.insert().values(document_id=doc_id, page_no=1, text=text, method="text_layer",
                                               image="p1.png"))
            folder = app.derived_dir(doc_id)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "p1.png").write_bytes(rng.randbytes(24 * 1024))
            audit.record(conn, audit.DocumentIngested(principal=access.SYSTEM, document_id=doc_id))


def timed(action: Callable[[], object], rounds: int, before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(rounds):
        if before:
            before()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def timed_pairs(actions: dict[str, Callable[[], object]], rounds: int,
                before: Callable[[], object] | None = None) -> dict[str, float]:
    """Like `timed` for several actions, taken in turn within each round, so an
    encrypted step and its plain twin see the same machine (the disk's cache, a
    neighbour's load) and their ratio is fair."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            if before:
                before()
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def _hash_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with (Path(folder) / name).open("rb") as f:
                hashlib.file_digest(f, "sha256")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chartdesk-backup-bench-") as tmp:
        run(Path(tmp), args.docs, args.rounds)


def run(root: Path, docs: int, rounds: int) -> None:
    started = time.perf_counter()
    cfg = build(root, docs, random.Random(9))
    settings = config.load(cfg)
    print(f"built {docs} documents in {time.perf_counter() - started:.1f} s")
    app = open_app(settings)
    it = access.principal_for(settings.access, user_id=1, username="it", role="admin", client="bench")
    fresh = root / "fresh"

    def clear(path: Path) -> Callable[[], None]:
        return lambda: shutil.rmtree(path, ignore_errors=True)

    def backup_to(dest: Path, *, full: bool = True, encrypted: bool = False) -> Callable[[], object]:
        mode = backup.Encryption.required if encrypted else backup.Encryption.off
        return lambda: backup.create_backup(app, it, dest, full_verify=full, encryption=mode)

    os.environ[backup.PASSPHRASE_ENV] = PASSPHRASE  # used by the encrypted steps only (Encryption.off otherwise)
    rows: dict[str, float] = {}
    rows["copytree"] = timed(lambda: shutil.copytree(settings.data_dir, fresh / "copy"), rounds, clear(fresh))
    rows["copytree-sync"] = timed(lambda: (shutil.copytree(settings.data_dir, fresh / "copy"), os.sync()),
                                  rounds, clear(fresh))
    rows |= timed_pairs({"full": backup_to(fresh / "usb"), "full-enc": backup_to(fresh / "usb", encrypted=True)},
                        rounds, clear(fresh))
    none_app = open_app(settings.model_copy(update={"backup": settings.backup.model_copy(
        update={"compression": config.BackupCompression.none})}))
    rows["full-none"] = timed(lambda: backup.create_backup(none_app, it, fresh / "usb",
                                                           encryption=backup.Encryption.off), rounds, clear(fresh))
    none_app.close()
    kept, sealed = root / "kept", root / "kept-enc"
    backup_to(kept)()
    backup_to(sealed, encrypted=True)()
    rows |= timed_pairs({"again": backup_to(kept), "again-enc": backup_to(sealed, encrypted=True)}, rounds)
    rows["again-quick"] = timed(backup_to(kept, full=False), rounds)
    one = sorted((kept / "sets").iterdir())[-1]
    one_enc = sorted((sealed / "sets").iterdir())[-1]
    rows |= timed_pairs({"verify": lambda: backup.verify_backups(one),
                         "verify-enc": lambda: backup.verify_backups(one_enc, passphrase=PASSPHRASE),
                         "hash-ref": lambda: _hash_tree(settings.data_dir)}, rounds)
    rows |= timed_pairs({"restore": lambda: _restore(root, one),
                         "restore-enc": lambda: _restore(root, one_enc, passphrase=PASSPHRASE)},
                        rounds, clear(root / "restored"))
    app.close()
    _report(rows, settings, one, docs)


def _restore(root: Path, one: Path, passphrase: str | None = None) -> None:
    target = root / "restored" / "config.toml"

    def login(db: object, settings: config.Settings) -> access.Principal:
        return access.cli_login(db, settings, username="it", client="bench",  # type: ignore[arg-type]
                                environ={access.PASSWORD_ENV: PASSWORD})

    backup.restore_backup(target, one, login, passphrase=passphrase)


def _report(rows: dict[str, float], settings: config.Settings, one: Path, docs: int) -> None:
    data_bytes = sum(p.stat().st_size for p in settings.data_dir.rglob("*") if p.is_file())
    db_bytes = (settings.data_dir / "chartdesk.db").stat().st_size
    gz_bytes = (one / "database.sqlite.gz").stat().st_size
    print(f"data directory {data_bytes / 2**20:.1f} MB ({docs} documents); database {db_bytes / 2**20:.1f} MB, "
          f"gzip copy {gz_bytes / 2**20:.1f} MB ({gz_bytes / db_bytes:.2f})")
    print(f"{'step':<14} {'median s':>9} {'ratio':>7} {'ratio':>9} {'ratio':>9}")
    print(f"{'':<14} {'':>9} {'copy':>7} {'copy+sync':>9} {'plain':>9}   (verify: against hash-ref)")
    for name, seconds in rows.items():
        twin = f"{seconds / rows[name.removesuffix('-enc')]:9.2f}" if name.endswith("-enc") else ""
        if name in ("copytree", "copytree-sync", "hash-ref"):
            print(f"{name:<14} {seconds:9.2f}")
        elif name.startswith("verify"):
            print(f"{name:<14} {seconds:9.2f} {seconds / rows['hash-ref']:7.2f} {'':>9} {twin}")
        else:
            print(f"{name:<14} {seconds:9.2f} {seconds / rows['copytree']:7.2f} "
                  f"{seconds / rows['copytree-sync']:9.2f} {twin}")

if __name__ == "__main__":
    main()
