"""The inbox watcher's policy, as plain code: when is a file complete, and is it
safe to take?

A file is taken when the writer has closed it (Linux reports that), or when its
size and mtime have not changed for `stable_seconds` (network shares, which send
no events, and files found by a sweep). A file that the kernel saw being written
but not yet closed waits for its close, however long the writer pauses (up to
`open_grace_seconds`, in case a close event was missed). Names a scanner writes while still busy (temp names) are ignored
until renamed. Symlinks, FIFOs, devices and paths that resolve outside the inbox
are never opened.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from chartdesk.errors import UnsafeFileError


def is_temp_name(name: str, patterns: Iterable[str]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


def check_safe(path: Path, inbox_root: Path) -> os.stat_result:
    """lstat the path and refuse anything but a regular file inside the inbox."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeFileError(
            "this is a shortcut (symbolic link), not a file; it was not followed",
            remedy="copy the document itself into the inbox",
        )
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(
            "this is not an ordinary file (a pipe or a device); it was not opened",
            remedy="copy the document itself into the inbox",
        )
    root = inbox_root.resolve()
    resolved = path.resolve()
    if root not in resolved.parents:
        raise UnsafeFileError(
            "the file's path leads outside its inbox; it was not opened",
            remedy="copy the document itself into the inbox",
        )
    return st


def inbox_files(root: Path, temp_patterns: Iterable[str]) -> Iterator[Path]:
    """Every candidate in an inbox folder (recursively), without following links
    into other folders; temp names are skipped."""
    patterns = tuple(temp_patterns)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not is_temp_name(d, patterns))
        for name in sorted(filenames):
            if not is_temp_name(name, patterns):
                yield Path(dirpath) / name


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when this size/mtime was first seen
    closed: bool = False
    writing: bool = False  # a write event was seen and no close since


class StabilityTracker:
    """Decides when a file in an inbox is complete.

    `note(path, now)` after any sign of life (an event or a sweep), `closed(path,
    now)` when the writer closed it, and `ready(now)` returns the paths that may
    be taken: closed and unchanged since, or unchanged for `stable_seconds`.
    """

    def __init__(self, stable_seconds: float, *, open_grace_seconds: float = 120.0) -> None:
        self.stable_seconds = stable_seconds
        self.open_grace_seconds = max(open_grace_seconds, stable_seconds)
        self._seen: dict[Path, _Seen] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, path: object) -> bool:
        return path in self._seen

    def note(self, path: Path, now: float, *, closed: bool = False, writing: bool = False) -> None:
        """A sign of life: `writing` for a write event, `closed` when the writer
        closed the file (or renamed it into place), neither for a sweep."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            self._seen.pop(path, None)
            return
        seen = self._seen.get(path)
        was_writing = seen.writing if seen else False
        if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
            seen = self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now, writing=was_writing)
        if writing:
            seen.writing, seen.closed = True, False
        if closed:
            seen.writing, seen.closed = False, True

    def closed(self, path: Path, now: float) -> None:
        self.note(path, now, closed=True)

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def ready(self, now: float) -> list[Path]:
        done: list[Path] = []
        for path, seen in list(self._seen.items()):
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                del self._seen[path]
                continue
            if (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
                self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now, writing=seen.writing)
                continue
            quiet = now - seen.since
            if seen.closed or quiet >= (self.open_grace_seconds if seen.writing else self.stable_seconds):
                done.append(path)
                del self._seen[path]
        return done
