"""quarantine list / purge: files chartdesk could not process, and their retention."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from chartdesk import access, audit, quarantine
from chartdesk.commands.base import Env, pass_env
from chartdesk.db import utcnow


@click.group(name="quarantine")
def quarantine_group() -> None:
    """Files that could not be processed, each with its reason."""


@quarantine_group.command(name="list")
@pass_env
def list_cmd(env: Env) -> None:
    """The quarantined files and their reasons (records staff)."""
    app = env.app()
    principal = env.principal()
    access.require(principal, "review")
    table = Table(title=f"quarantine ({app.settings.quarantine_dir})")
    for col in ("day", "file", "reason"):
        table.add_column(col, overflow="fold")
    found = quarantine.entries(app.settings)
    for entry in found:
        reason = entry.reason_path.read_text(encoding="utf-8", errors="replace").split("\n\n")[1:2]
        table.add_row(entry.path.parent.name, entry.path.name, (reason[0] if reason else "").strip())
    Console().print(table)
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(principal=principal, act="quarantine_listed",
                                              extra={"files": len(found)}))


@quarantine_group.command()
@click.option("--execute", is_flag=True, help="remove them (without it, only list what would go)")
@pass_env
def purge(env: Env, execute: bool) -> None:  # noqa: FBT001 - click passes flags positionally
    """Remove quarantined files older than ingest.quarantine_retention_days.

    The documents' rows keep their reasons; only the files and notes go. Audited."""
    app = env.app()
    principal = env.principal()
    access.require(principal, "retention")
    old = quarantine.expired(app.settings, now=utcnow())
    days = app.settings.ingest.quarantine_retention_days
    if not execute:
        for entry in old:
            click.echo(f"would remove {entry.path}")
        click.echo(f"{len(old)} file(s) older than {days} days; run again with --execute to remove them")
        return
    for entry in old:
        quarantine.remove(entry)
    with app.db.write() as conn:
        audit.record(conn, audit.RetentionAct(
            principal=principal, act="quarantine_purged", reason=f"older than {days} days",
            extra={"files": [str(e.path.relative_to(app.settings.quarantine_dir)) for e in old]},
        ))
    click.echo(f"removed {len(old)} quarantined file(s) older than {days} days")


COMMANDS = [quarantine_group]
