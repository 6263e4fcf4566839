"""The service process tree: inbox watchers in the main process, worker
processes (started with `spawn`, one per core by default) that run the stages,
and a supervisor loop that restarts a worker that died; the web UI (uvicorn)
serves from a thread of the main process when web.enabled is on.

Workers are processes because OCR and speech are CPU-bound; they are spawned,
not forked, because native libraries (OpenMP, CTranslate2, tantivy) may already
be loaded in the parent.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pwd
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from typing import Any

from chartdesk import pipeline
from chartdesk.app import App, open_app
from chartdesk.config import Settings
from chartdesk.errors import ConfigError
from chartdesk.logs import configure_logging

log = logging.getLogger(__name__)

SUPERVISE_SECONDS = 1.0
PARENT_CHECK_SECONDS = 1.0


def limit_native_threads() -> None:
    """One thread per tesseract (OpenMP oversubscribes 2 cores: 4.7x slower here)."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def lower_priority(steps: int) -> None:
    """Give this process (and the threads it starts later: tesseract, whisper, the
    index writer) `steps` more niceness, so that on a busy machine the CPU goes to
    people first (a search page, the CLI) and to batch work when they are idle.
    Call before starting threads: Linux keeps niceness per thread."""
    if steps > 0:
        os.nice(steps)


def _worker_main(settings: Settings, verbose: int) -> None:
    """A worker process: run stages until SIGTERM (finish the current step first)
    or until its supervisor is gone (never outlive the service as an orphan)."""
    lower_priority(settings.pipeline.worker_nice)
    configure_logging(verbose)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = os.getppid()

    def _watch_parent() -> None:
        while not stop.wait(PARENT_CHECK_SECONDS):
            if os.getppid() != parent:
                log.warning("the service is gone; this worker stops")
                stop.set()

    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()
    app = open_app(settings)
    try:
        pipeline.warm_up(settings)
        pipeline.work(app, stop=stop)
    finally:
        app.close()


class WorkerPool:
    """N worker processes kept alive until stopped."""

    def __init__(self, settings: Settings, *, count: int, verbose: int = 0) -> None:
        self.settings = settings
        self.count = count
        self.verbose = verbose
        self._mp = multiprocessing.get_context("spawn")
        self._stopping = False
        self.procs: list[SpawnProcess] = []
        self.restarts = 0

    def start(self) -> None:
        limit_native_threads()
        self.procs = [self._spawn(i) for i in range(self.count)]

    def _spawn(self, number: int) -> SpawnProcess:
        proc = self._mp.Process(
            target=_worker_main,
            args=(self.settings, self.verbose),
            name=f"worker-{number}",
            daemon=False,
        )
        proc.start()
        return proc

    def supervise(self) -> None:
        """Restart any worker that died (a crash or an OOM kill loses only its lease)."""
        if self._stopping:
            return
        for i, proc in enumerate(self.procs):
            if not proc.is_alive():
                log.warning("worker %s exited with code %s; starting a new one", proc.name, proc.exitcode)
                proc.join(timeout=0)
                self.procs[i] = self._spawn(i)
                self.restarts += 1

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every worker (each finishes its current step), then SIGKILL any
        still running after `timeout`; a killed worker only loses its lease.
        (No shared multiprocessing Event: a worker killed while waiting on one
        leaves it unable to be set.)"""
        self._stopping = True
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            proc.join(timeout=max(deadline - time.monotonic(), 0))
        for proc in self.procs:
            if proc.is_alive():
                log.warning("worker %s did not stop in time; killing it", proc.name)
                proc.kill()
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
    """Run watchers, workers and (when web.enabled) the web UI until SIGTERM/SIGINT
    or `stop` is set. Started as root, it binds the web port and loads TLS, then
    runs as web.service_user before touching any data."""
    from chartdesk.ingest import InboxWatcher
    from chartdesk.reconcile import reconcile

    stop = stop or threading.Event()
    web = _prepare_web(settings)
    drop_privileges(settings)
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
    if web is not None:
        web.start()
    log.info("chartdesk running: %s workers, inboxes %s", pool.count, ", ".join(i.name for i in settings.inboxes))
    try:
        if on_ready:
            on_ready(app, pool)
        while not stop.wait(SUPERVISE_SECONDS):
            pool.supervise()
            if web is not None and not web.alive():
                log.error("the web UI stopped; stopping the service so that it is restarted whole")
                break
    finally:
        if web is not None:
            web.stop()
        watcher.stop()
        pool.stop()
        app.close()


def _prepare_web(settings: Settings) -> Any:
    """The web server with its port bound and TLS loaded, or None when web.enabled is off."""
    if not settings.web.enabled:
        return None
    from chartdesk.web import WebServer

    server = WebServer(settings)
    server.prepare()
    return server


# ---------------------------------------------------------------- running as root


def drop_privileges(settings: Settings) -> int | None:
    """Started as root: hand the data directory to web.service_user and become
    that account for good (groups, gid, uid). Returns the uid run as, or None
    when not root. An empty service_user keeps root (logged as a warning)."""
    if os.geteuid() != 0:
        return None
    name = settings.web.service_user
    if not name:
        log.warning("running as root: set web.service_user to an unprivileged account")
        return 0
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        raise ConfigError(
            f"chartdesk was started as root and its service account {name!r} does not exist",
            remedy=f"create it (adduser --system --group --no-create-home {name}) or set web.service_user",
        ) from None
    if account.pw_uid == 0:
        raise ConfigError(f"web.service_user {name!r} is root", remedy="name an unprivileged account")
    _hand_over(settings, account.pw_uid, account.pw_gid)
    os.setgroups([])
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    os.environ["HOME"] = account.pw_dir or "/"
    _check_dropped()
    _check_runnable(name)
    log.info("running as the service account (uid %s)", account.pw_uid)
    return account.pw_uid


def _hand_over(settings: Settings, uid: int, gid: int) -> None:
    """The data directory (and inbox folders root created) belong to the service account."""
    data = settings.data_dir
    if data.exists():
        for root, dirs, files in os.walk(data):
            for entry in (root, *(os.path.join(root, n) for n in (*dirs, *files))):
                if os.lstat(entry).st_uid != uid:
                    os.lchown(entry, uid, gid)
    for inbox in settings.inboxes:
        if inbox.path.exists() and inbox.path.stat().st_uid == 0:
            os.chown(inbox.path, uid, gid)


def _check_runnable(name: str) -> None:
    """Workers are new Python processes: the account must be able to run this Python."""
    for path in (sys.executable, os.path.dirname(os.__file__)):
        if not os.access(path, os.R_OK | os.X_OK):
            raise ConfigError(
                f"the service account {name!r} cannot read {path}",
                remedy="install Python and chartdesk where that account can read them (e.g. under /opt), "
                       "or start chartdesk as that account",
            )


def _check_dropped() -> None:
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise ConfigError("could not give up root privileges", remedy="start chartdesk as its service account instead")
