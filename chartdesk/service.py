"""The service process tree: inbox watchers in the main process, worker
processes (started with `spawn`, one per core by default) that run the stages,
and a supervisor loop that restarts a worker that died.

Workers are processes because OCR and speech are CPU-bound; they are spawned,
not forked, because native libraries (OpenMP, CTranslate2, tantivy) may already
be loaded in the parent.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from chartdesk import pipeline
from chartdesk.app import App, open_app
from chartdesk.config import Settings
from chartdesk.logs import configure_logging

log = logging.getLogger(__name__)

SUPERVISE_SECONDS = 1.0


def limit_native_threads() -> None:
    """One thread per tesseract (OpenMP oversubscribes 2 cores: 4.7x slower here)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _worker_main(settings: Settings, stop: MpEvent, verbose: int) -> None:
    configure_logging(verbose)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    app = open_app(settings)
    bridge = threading.Event()

    def _watch_stop() -> None:
        stop.wait()
        bridge.set()

    threading.Thread(target=_watch_stop, daemon=True).start()
    try:
        pipeline.work(app, stop=bridge)
    finally:
        app.close()


class WorkerPool:
    """N worker processes kept alive until stopped."""

    def __init__(self, settings: Settings, *, count: int, verbose: int = 0) -> None:
        self.settings = settings
        self.count = count
        self.verbose = verbose
        self._mp = multiprocessing.get_context("spawn")
        self._stop = self._mp.Event()
        self.procs: list[SpawnProcess] = []
        self.restarts = 0

    def start(self) -> None:
        limit_native_threads()
        self.procs = [self._spawn(i) for i in range(self.count)]

    def _spawn(self, number: int) -> SpawnProcess:
        proc = self._mp.Process(
            target=_worker_main,
            args=(self.settings, self._stop, self.verbose),
            name=f"worker-{number}",
            daemon=False,
        )
        proc.start()
        return proc

    def supervise(self) -> None:
        """Restart any worker that died (a crash or an OOM kill loses only its lease)."""
        if self._stop.is_set():
            return
        for i, proc in enumerate(self.procs):
            if not proc.is_alive():
                log.warning("worker %s exited with code %s; starting a new one", proc.name, proc.exitcode)
                proc.join(timeout=0)
                self.procs[i] = self._spawn(i)
                self.restarts += 1

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for proc in self.procs:
            proc.join(timeout=timeout)
        for proc in self.procs:
            if proc.is_alive():
                log.warning("worker %s did not stop in time; terminating it", proc.name)
                proc.terminate()
                proc.join(timeout=5)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]


def run_service(
    settings: Settings,
    *,
    verbose: int = 0,
    stop: threading.Event | None = None,
    on_ready: Callable[[App, WorkerPool], Any] | None = None,
) -> None:
    """Run watchers and workers until SIGTERM/SIGINT or `stop` is set."""
    from chartdesk.ingest import InboxWatcher
    from chartdesk.reconcile import reconcile

    stop = stop or threading.Event()
    app = open_app(settings)
    report = reconcile(app)
    for line in report.lines():
        log.warning("start-up check: %s", line)
    pool = WorkerPool(settings, count=settings.pipeline.worker_count, verbose=verbose)
    watcher = InboxWatcher(app)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    pool.start()
    watcher.start()
    log.info("chartdesk running: %s workers, inboxes %s", pool.count, ", ".join(i.name for i in settings.inboxes))
    try:
        if on_ready:
            on_ready(app, pool)
        while not stop.wait(SUPERVISE_SECONDS):
            pool.supervise()
    finally:
        watcher.stop()
        pool.stop()
        app.close()
