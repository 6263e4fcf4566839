"""index rebuild: the search index from the database, which is the truth."""

from __future__ import annotations

import click
from rich.console import Console

from chartdesk import access, index, pipeline
from chartdesk.commands.base import Env, pass_env


@click.group(name="index")
def index_group() -> None:
    """The search index."""


@index_group.command()
@pass_env
def rebuild(env: Env) -> None:
    """Rebuild the search index from the database (searches keep using the current
    index until the rebuilt one replaces it in one step)."""
    app = env.app()
    access.require(env.principal(), "maintain")
    console = Console(stderr=True)
    with console.status("rebuilding the search index from the database..."):
        written = index.rebuild(app.db, app.settings, worker_id=pipeline.new_worker_id())
    with app.db.read() as conn:
        left = index.backlog(conn)
    click.echo(f"indexed {written} document(s); backlog now {left}")


COMMANDS = [index_group]
