"""Backup and restore on a generated installation.

    .venv/bin/python -m bench.backup_bench [--docs 2000] [--rounds 3]

Builds an installation without OCR: `--docs` documents, each with a 64 KB
original (random bytes: scans and faxes are compressed already), a page of
text, a 24 KB page image and an audit event. Then, each timed `--rounds`
times (median reported):

  copytree      shutil.copytree of the data directory: the reference, a plain
                offline copy with no consistency, no checksums, no verification
  copytree-sync the same followed by sync(2), so its files are on disk as a backup's are
  full          `create_backup` into an empty location (gzip, full verify)
  full-none     the same with compression = "none"
  again         a second backup with nothing changed (full verify: reads the pool)
  again-quick   the same with `--quick` (earlier files checked by size)
  verify        `verify_backups` of one backup (checksums, database, audit chain)
  hash-ref      sha256 of every file of the data directory: verify's reference
  restore       `restore_backup` onto an empty data directory (with index rebuild)

Ratios are against copytree (backups, restore) or hash-ref (verify), measured
in the same command. Sizes: the database file and its gzip copy.
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

    def backup_to(dest: Path, *, full: bool = True) -> Callable[[], object]:
        return lambda: backup.create_backup(app, it, dest, full_verify=full)

    rows: dict[str, float] = {}
    rows["copytree"] = timed(lambda: shutil.copytree(settings.data_dir, fresh / "copy"), rounds, clear(fresh))
    rows["copytree-sync"] = timed(lambda: (shutil.copytree(settings.data_dir, fresh / "copy"), os.sync()),
                                  rounds, clear(fresh))
    rows["full"] = timed(backup_to(fresh / "usb"), rounds, clear(fresh))
    none_app = open_app(settings.model_copy(update={"backup": settings.backup.model_copy(
        update={"compression": config.BackupCompression.none})}))
    rows["full-none"] = timed(lambda: backup.create_backup(none_app, it, fresh / "usb"), rounds, clear(fresh))
    none_app.close()
    kept = root / "kept"
    backup_to(kept)()
    rows["again"] = timed(backup_to(kept), rounds)
    rows["again-quick"] = timed(backup_to(kept, full=False), rounds)
    one = sorted((kept / "sets").iterdir())[-1]
    rows["verify"] = timed(lambda: backup.verify_backups(one), rounds)
    rows["hash-ref"] = timed(lambda: _hash_tree(settings.data_dir), rounds)
    rows["restore"] = timed(lambda: _restore(root, one), rounds, clear(root / "restored"))
    app.close()
    _report(rows, settings, one, docs)


def _restore(root: Path, one: Path) -> None:
    target = root / "restored" / "config.toml"

    def login(db: object, settings: config.Settings) -> access.Principal:
        return access.cli_login(db, settings, username="it", client="bench",  # type: ignore[arg-type]
                                environ={access.PASSWORD_ENV: PASSWORD})

    backup.restore_backup(target, one, login)


def _report(rows: dict[str, float], settings: config.Settings, one: Path, docs: int) -> None:
    data_bytes = sum(p.stat().st_size for p in settings.data_dir.rglob("*") if p.is_file())
    db_bytes = (settings.data_dir / "chartdesk.db").stat().st_size
    gz_bytes = (one / "database.sqlite.gz").stat().st_size
    print(f"data directory {data_bytes / 2**20:.1f} MB ({docs} documents); database {db_bytes / 2**20:.1f} MB, "
          f"gzip copy {gz_bytes / 2**20:.1f} MB ({gz_bytes / db_bytes:.2f})")
    print(f"{'step':<14} {'median s':>9} {'ratio':>7} {'ratio':>7}")
    print(f"{'':<14} {'':>9} {'copy':>7} {'copy+sync':>9}   (verify: against hash-ref)")
    for name, seconds in rows.items():
        if name in ("copytree", "copytree-sync", "hash-ref"):
            print(f"{name:<14} {seconds:9.2f}")
        elif name == "verify":
            print(f"{name:<14} {seconds:9.2f} {seconds / rows['hash-ref']:7.2f}")
        else:
            print(f"{name:<14} {seconds:9.2f} {seconds / rows['copytree']:7.2f} {seconds / rows['copytree-sync']:9.2f}")

if __name__ == "__main__":
    main()
