"""Watching the inboxes: watchdog observers (inotify) for local folders, polling
for network shares, a sweep at start-up for files that arrived while the service
was down, and a periodic sweep as a safety net for missed events.

Events only say "look at this path"; the stability tracker decides when a file is
complete, and `take` (intake.py) does the rest, one file at a time.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from chartdesk.app import App
from chartdesk.config import InboxSettings, WatchMode
from chartdesk.ingest.intake import Outcome, take
from chartdesk.ingest.policy import StabilityTracker, inbox_files, is_temp_name

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1


class _Handler(FileSystemEventHandler):
    def __init__(self, inbox: InboxSettings, events: queue.Queue[tuple[InboxSettings, Path, str]]) -> None:
        self.inbox = inbox
        self.events = events

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        if isinstance(event, FileMovedEvent):  # renamed into place: complete
            self.events.put((self.inbox, Path(str(event.dest_path)), "closed"))
        elif isinstance(event, FileClosedEvent):
            self.events.put((self.inbox, Path(str(event.src_path)), "closed"))
        elif isinstance(event, FileCreatedEvent | FileModifiedEvent):
            # Polling observers only see changes, never closes: wait out stability.
            kind = "writing" if self.inbox.mode is WatchMode.events else "seen"
            self.events.put((self.inbox, Path(str(event.src_path)), kind))


class InboxWatcher:
    """Feeds complete files from every configured inbox to `take`."""

    def __init__(self, app: App, *, on_outcome: Callable[[Outcome], None] | None = None) -> None:
        self.app = app
        self.settings = app.settings
        self.on_outcome = on_outcome or (lambda _o: None)
        self.tracker = StabilityTracker(self.settings.ingest.stable_seconds)
        self._events: queue.Queue[tuple[InboxSettings, Path, str]] = queue.Queue()
        self._inbox_of: dict[Path, InboxSettings] = {}
        self._observers: list[BaseObserver] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for inbox in self.settings.inboxes:
            inbox.path.mkdir(parents=True, exist_ok=True)
            observer: BaseObserver
            if inbox.mode is WatchMode.polling:
                observer = PollingObserver(timeout=self.settings.ingest.poll_interval_seconds)
            else:
                observer = Observer()
            observer.schedule(_Handler(inbox, self._events), str(inbox.path), recursive=True)
            observer.daemon = True
            observer.start()
            self._observers.append(observer)
        self.sweep()  # files that arrived while the service was down
        self._thread = threading.Thread(target=self._loop, name="inbox-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for observer in self._observers:
            observer.stop()
        for observer in self._observers:
            observer.join(timeout=5)
        if self._thread:
            self._thread.join(timeout=30)

    def sweep(self) -> None:
        now = time.monotonic()
        # Forget files that vanished before they could be taken (the tracker already has).
        for gone in [p for p in self._inbox_of if p not in self.tracker]:
            del self._inbox_of[gone]
        for inbox in self.settings.inboxes:
            for path in inbox_files(inbox.path, self.settings.ingest.temp_name_patterns):
                self._inbox_of[path] = inbox
                self.tracker.note(path, now)

    def _loop(self) -> None:
        next_sweep = time.monotonic() + self.settings.ingest.poll_interval_seconds
        while not self._stop.is_set():
            self._drain_events()
            now = time.monotonic()
            if now >= next_sweep:
                self.sweep()
                next_sweep = now + self.settings.ingest.poll_interval_seconds
            for path in self.tracker.ready(now):
                if self._stop.is_set():
                    break
                self._take(path)
            self._stop.wait(TICK_SECONDS)

    def _drain_events(self) -> None:
        now = time.monotonic()
        patterns = self.settings.ingest.temp_name_patterns
        while True:
            try:
                inbox, path, kind = self._events.get_nowait()
            except queue.Empty:
                return
            if is_temp_name(path.name, patterns) or any(is_temp_name(p.name, patterns) for p in _between(path, inbox.path)):
                continue
            self._inbox_of[path] = inbox
            self.tracker.note(path, now, closed=kind == "closed", writing=kind == "writing")

    def _take(self, path: Path) -> None:
        inbox = self._inbox_of.pop(path, None)
        if inbox is None:
            return
        try:
            outcome = take(self.app, path, inbox=inbox, remove=True)
        except Exception:  # noqa: BLE001 - one bad file must not stop the watcher
            log.exception("could not take a file from inbox %s; it stays there and is retried", inbox.name)
            return
        if outcome.status != "gone":
            log.info("inbox %s: %s -> document %s", inbox.name, outcome.status, outcome.document_id)
        self.on_outcome(outcome)


def _between(path: Path, root: Path) -> list[Path]:
    """The folders between an inbox root and a file in it."""
    parents = []
    for parent in path.parents:
        if parent == root:
            break
        parents.append(parent)
    return parents
