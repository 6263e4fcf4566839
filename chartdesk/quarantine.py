"""The quarantine: files chartdesk could not process, each with a reason beside it.

It lives inside the data directory (0700), so only the service account and,
through chartdesk, the records role can read it. A reason names what is wrong
with the file and what to do; it never quotes the file's contents.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from chartdesk.config import Settings
from chartdesk.store import _fsync_dir, write_durably

REASON_SUFFIX = ".reason.txt"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    path: Path
    reason_path: Path


def safe_name(name: str, *, limit: int = 120) -> str:
    """A file name that is safe on every filesystem and never a path."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("_", name).strip(" .") or "file"
    encoded = name.encode("utf-8")
    if len(encoded) > limit:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        keep = encoded[: limit - len(ext.encode()) - 1].decode("utf-8", "ignore")
        name = f"{keep}.{ext}" if ext else keep
    return name


def entry_for(settings: Settings, *, doc_id: int, name: str, when: dt.datetime) -> QuarantineEntry:
    folder = settings.quarantine_dir / when.strftime("%Y-%m-%d")
    path = folder / f"{doc_id:07d}-{safe_name(name)}"
    return QuarantineEntry(path, path.with_name(path.name + REASON_SUFFIX))


def reason_text(*, doc_id: int, name: str, when: dt.datetime, code: str, reason: str) -> str:
    return (
        f"Document:  {doc_id}\n"
        f"File:      {name}\n"
        f"Received:  {when.astimezone().strftime('%Y-%m-%d %H:%M')}\n"
        f"Problem:   {code}\n"
        f"\n{reason}\n"
        f"\nThe file beside this note is exactly what was dropped. Nothing else was done with it.\n"
    )


def put_file(settings: Settings, src: Path, entry: QuarantineEntry, text: str, *, move: bool) -> None:
    """Place a file in quarantine durably, then its reason. With `move`, the source
    is renamed (or copied and removed) only after the copy is safely on disk."""
    entry.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if move:
        try:
            os.rename(src, entry.path)
            _fsync_dir(entry.path.parent)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            _copy(src, entry.path)
            write_durably(entry.reason_path, text.encode("utf-8"))
            src.unlink()
            return
    else:
        _copy(src, entry.path)
    write_durably(entry.reason_path, text.encode("utf-8"))


def link_blob(blob: Path, entry: QuarantineEntry, text: str) -> None:
    """Show a stored original in quarantine (a hard link: no second copy)."""
    entry.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not entry.path.exists():
        try:
            os.link(blob, entry.path)
        except OSError:
            _copy(blob, entry.path)
    write_durably(entry.reason_path, text.encode("utf-8"))


def _copy(src: Path, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp")
    # lstat-checked by the caller; never follow a link or open a FIFO here.
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1024 * 1024)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)


def entries(settings: Settings) -> list[QuarantineEntry]:
    root = settings.quarantine_dir
    if not root.is_dir():
        return []
    found = []
    for reason in sorted(root.glob(f"*/*{REASON_SUFFIX}")):
        found.append(QuarantineEntry(reason.with_name(reason.name[: -len(REASON_SUFFIX)]), reason))
    return found


def expired(settings: Settings, *, now: dt.datetime) -> list[QuarantineEntry]:
    """Entries older than ingest.quarantine_retention_days (by the day folder they are in)."""
    cutoff = (now - dt.timedelta(days=settings.ingest.quarantine_retention_days)).date()
    old = []
    for entry in entries(settings):
        try:
            day = dt.date.fromisoformat(entry.path.parent.name)
        except ValueError:
            continue
        if day < cutoff:
            old.append(entry)
    return old


def remove(entry: QuarantineEntry) -> None:
    """Remove a quarantined file and its reason note (the document's row keeps the reason)."""
    for path in (entry.path, entry.reason_path):
        if path.exists() or path.is_symlink():
            path.unlink()
    _fsync_dir(entry.path.parent)
    with contextlib.suppress(OSError):
        entry.path.parent.rmdir()  # the day folder, once empty
