"""init, run, ingest, status, reprocess: setting up and driving the pipeline."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from chartdesk import access, pipeline, quarantine
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.commands.base import Env, pass_env
from chartdesk.db import documents
from chartdesk.errors import ChartdeskError, ExitCode
from chartdesk.ingest import Outcome, inbox_files, take
from chartdesk.logs import configure_logging
from chartdesk.reconcile import reconcile
from chartdesk.records import operations
from chartdesk.service import WorkerPool, limit_native_threads, run_service
from chartdesk.stages import State

log = logging.getLogger(__name__)


@click.command()
@pass_env
def init(env: Env) -> None:
    """Create the data directory, database, audit key and inbox folders, and the
    first administrator with a generated password (idempotent)."""
    app = env.app(create=True)
    s = app.settings
    password_file = access.ensure_first_admin(app)
    click.echo(f"data directory: {s.data_dir}")
    for inbox in s.inboxes:
        click.echo(f"inbox {inbox.name:<10} {inbox.path}  ({inbox.source.value}, {inbox.mode.value})")
    for line in reconcile(app).lines():
        click.echo(f"note: {line}")
    if password_file:
        click.echo(
            f"created the first administrator 'admin'; the generated password is in {password_file} "
            "(readable only by this account). Log in with `chartdesk --user admin users passwd` to set your own."
        )


@click.command()
@click.option("-q", "--quiet", is_flag=True, help="log warnings only")
@pass_env
def run(env: Env, quiet: bool) -> None:  # noqa: FBT001 - click passes flags positionally
    """Run the service: inbox watchers and worker processes, until Ctrl-C or SIGTERM."""
    settings = env.settings
    env.app()  # fails early with a clear message if `init` was not run
    verbose = env.verbose if quiet else max(env.verbose, 1)
    configure_logging(verbose)
    click.echo(
        f"chartdesk is watching {', '.join(str(i.path) for i in settings.inboxes)} "
        f"with {settings.pipeline.worker_count} worker(s). Stop with Ctrl-C."
    )
    run_service(settings, verbose=verbose)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--source", type=click.Choice(["scan", "fax", "dictation", "upload"]), default="upload",
              show_default=True, help="where the files came from")
@click.option("--workers", type=int, default=None, help="worker processes (default: pipeline.workers)")
@click.option("--json", "as_json", is_flag=True, help="one JSON line per file instead of a table")
@pass_env
def ingest(env: Env, paths: Sequence[Path], source: str, workers: int | None, as_json: bool) -> None:  # noqa: FBT001
    """Store files, process them to the end and report each file's outcome.

    The files are copied, never moved or deleted; files that cannot be processed
    are copied to the quarantine with a reason.
    """
    app = env.app()
    principal = env.principal()
    access.require(principal, "review")
    files = list(_expand(paths, app))
    if not files:
        raise click.UsageError("no files found in the paths given")
    console = Console(stderr=True)
    count = workers or app.settings.pipeline.worker_count
    # Workers start first: they load OCR and the classifier while the files are stored.
    pool = _start_pool(app, count) if count > 1 else None
    try:
        outcomes = _store_all(app, files, source, console, principal)
        stored = sorted({o.document_id for o in outcomes if o.document_id and o.status in ("stored", "retried")})
        _process(app, stored, pool, console)
    finally:
        if pool is not None:
            pool.stop()
    rows = _final_rows(app, outcomes)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        _print_outcomes(rows, Console())
    bad = [r for r in rows if r["state"] in (State.rejected, State.parked)]
    if bad:
        raise SystemExit(ExitCode.bad_input if all(r["state"] == State.rejected for r in bad) else ExitCode.internal_error)


def _expand(paths: Sequence[Path], app: App) -> Iterator[Path]:
    patterns = app.settings.ingest.temp_name_patterns
    for path in paths:
        if path.is_dir():
            yield from inbox_files(path, patterns)
        else:
            yield path


def _store_all(app: App, files: list[Path], source: str, console: Console, principal: Principal) -> list[Outcome]:
    outcomes = []
    with _bar(console) as bar:
        task = bar.add_task("storing", total=len(files))
        for path in files:
            try:
                outcome = take(app, path, inbox=None, source=source, remove=False, actor=principal)
            except ChartdeskError as err:
                outcome = Outcome("error", path.name, reason=str(err))
            outcomes.append(_named(outcome, path))
            bar.advance(task)
    return outcomes


def _named(outcome: Outcome, path: Path) -> Outcome:
    return Outcome(outcome.status, str(path), outcome.document_id, outcome.reason_code, outcome.reason)


def _start_pool(app: App, count: int) -> WorkerPool:
    pool = WorkerPool(app.settings, count=count)
    pool.start()
    return pool


def _process(app: App, doc_ids: list[int], pool: WorkerPool | None, console: Console) -> None:
    """Run the pipeline until these documents are through: in this process, or by
    the worker pool (kept alive if one dies)."""
    if not doc_ids:
        return
    limit_native_threads()

    def remaining() -> int:
        with app.db.read() as conn:
            return len(pipeline.pending_ids(conn, doc_ids))

    with _bar(console) as bar:
        task = bar.add_task("processing", total=len(doc_ids))
        if pool is None:
            pipeline.work(app, stop=threading.Event(), until=lambda: remaining() == 0,
                          on_step=lambda _s: bar.update(task, completed=len(doc_ids) - remaining()))
        else:
            while (left := remaining()) > 0:
                bar.update(task, completed=len(doc_ids) - left)
                pool.supervise()
                time.sleep(0.1)
        bar.update(task, completed=len(doc_ids))


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    )


def _final_rows(app: App, outcomes: list[Outcome]) -> list[dict[str, object]]:
    ids = [o.document_id for o in outcomes if o.document_id]
    with app.db.read() as conn:
        docs = {
            r.id: r
            for r in conn.execute(
                select(
                    documents.c.id, documents.c.state, documents.c.page_count, documents.c.reason_code,
                    documents.c.reason, documents.c.last_error, documents.c.media_type,
                ).where(documents.c.id.in_(ids))
            )
        }
    rows = []
    for o in outcomes:
        doc = docs.get(o.document_id or -1)
        rows.append({
            "file": o.name,
            "outcome": o.status,
            "document": o.document_id,
            "state": doc.state if doc else o.status,
            "type": doc.media_type if doc else None,
            "pages": doc.page_count if doc else None,
            "reason_code": (doc.reason_code if doc else None) or o.reason_code,
            "reason": (doc.reason or doc.last_error if doc else None) or o.reason,
        })
    return rows


def _print_outcomes(rows: list[dict[str, object]], console: Console) -> None:
    table = Table(title="ingest")
    for col in ("file", "outcome", "document", "state", "pages", "reason"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["file"]), str(r["outcome"]), str(r["document"] or "-"), str(r["state"]),
            str(r["pages"] or "-"), str(r["reason"] or ""),
        )
    console.print(table)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@pass_env
def status(env: Env, as_json: bool) -> None:  # noqa: FBT001
    """Counts by state, the index backlog, parked documents and the quarantine.

    Counts and errors carry no patient data; the quarantine's file names are
    listed only for roles that work the review queue."""
    app = env.app()
    report = operations.status(app, env.principal())
    if as_json:
        click.echo(json.dumps(_status_json(app, report), default=str, indent=2))
        return
    console = Console()
    counts = Table(title="documents by state")
    counts.add_column("state")
    counts.add_column("count", justify="right")
    for state, n in sorted(report.states.items()):
        counts.add_row(state, str(n))
    console.print(counts)
    console.print(f"search index backlog: {report.index_backlog} document(s)")
    if report.index_outage:
        out = report.index_outage
        retry = f"; next try {_local(out.next_try)}" if out.next_try else ""
        console.print(f"[bold red]search index unavailable since {_local(out.since)}[/]{retry}: {out.reason}",
                      highlight=False)
    if report.parked:
        parked = Table(title="parked (a stage failed after its retries; fix, then `chartdesk reprocess ID`)")
        for col in ("document", "stage", "error"):
            parked.add_column(col, overflow="fold")
        for p in report.parked:
            parked.add_row(str(p.doc_id), str(p.stage), p.text)
        console.print(parked)
    if report.quarantine:
        q = Table(title=f"quarantine ({app.settings.quarantine_dir})")
        for col in ("document", "received", "file", "problem", "reason"):
            q.add_column(col, overflow="fold")
        for item in report.quarantine:
            q.add_row(str(item.doc_id), _local(item.received_at), item.name, item.code, item.text)
        console.print(q)


def _status_json(app: App, report: operations.Status) -> dict[str, object]:
    return {
        "states": report.states,
        "index_backlog": report.index_backlog,
        "index_unavailable": None if report.index_outage is None else {
            "since": _local(report.index_outage.since), "reason": report.index_outage.reason,
            "next_try": _local(report.index_outage.next_try) if report.index_outage.next_try else None},
        "parked": [{"document": p.doc_id, "stage": p.stage, "error": p.text} for p in report.parked],
        "quarantine": [
            {"document": r.doc_id, "received": _local(r.received_at), "file": r.name, "code": r.code, "reason": r.text}
            for r in report.quarantine
        ],
        "quarantine_dir": str(app.settings.quarantine_dir),
        "quarantine_files": len(quarantine.entries(app.settings)),
    }


def _local(when: dt.datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


@click.command()
@click.argument("doc_ids", nargs=-1, type=int, required=True)
@pass_env
def reprocess(env: Env, doc_ids: Sequence[int]) -> None:
    """Process documents again from the first stage (after a fix, or for parked ones)."""
    operations.reprocess(env.app(), env.principal(), doc_ids)
    click.echo(f"queued {len(doc_ids)} document(s); a running service picks them up")


COMMANDS = [init, run, ingest, status, reprocess]
