"""export: every document a user may read, one JSON line each, audited."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Connection, select

from chartdesk import access, audit, charts
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.commands.base import Env, pass_env
from chartdesk.db import documents, pages

BATCH = 200


@click.command()
@click.option("--jsonl", "jsonl", is_flag=True, required=True,
              help="one JSON object per line (the only format; required so scripts say what they expect)")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write to this file (created 0600) instead of standard output")
@pass_env
def export(env: Env, jsonl: bool, out_path: Path | None) -> None:  # noqa: FBT001
    """Export documents with their text, class, patient and match evidence.

    Only documents the user may open are exported (rejected files too, without
    text, for roles that work the review queue); the export is audited with the
    ids it contained.
    """
    app = env.app()
    principal = env.principal()
    access.require(principal, "export")
    exported: list[int] = []
    out: IO[str] = _private_file(out_path) if out_path else sys.stdout
    try:
        with Progress(console=Console(stderr=True), transient=True, disable=out is sys.stdout) as bar:
            task = bar.add_task("exporting", total=None)
            for row in export_rows(app, principal):
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                exported.append(int(row["id"]))
                bar.advance(task)
    finally:
        if out is not sys.stdout:
            out.close()
        with app.db.write() as conn:
            audit.record(conn, audit.Exported(
                principal=principal, document_ids=tuple(exported),
                destination=str(out_path) if out_path else "stdout", form="jsonl",
            ))
    if out_path:
        click.echo(f"exported {len(exported)} document(s) to {out_path}", err=True)


def export_rows(app: App, principal: Principal) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        with app.db.read() as conn:
            ids = conn.execute(
                select(documents.c.id).where(documents.c.id > last).order_by(documents.c.id).limit(BATCH)
            ).scalars().all()
            if not ids:
                return
            facts = access.documents_facts(conn, ids)
            allowed = [i for i in ids if i in facts and access.may(principal, "view", facts[i])]
            rows = [_row(conn, doc_id) for doc_id in allowed]
        yield from rows
        last = ids[-1]


def _row(conn: Connection, doc_id: int) -> dict[str, Any]:
    d = conn.execute(select(documents).where(documents.c.id == doc_id)).one()
    texts = conn.execute(
        select(pages.c.page_no, pages.c.text, pages.c.method, pages.c.confidence)
        .where(pages.c.document_id == doc_id)
        .order_by(pages.c.page_no)
    ).all()
    return {
        "id": d.id,
        "original_name": d.original_name,
        "sha256": d.sha256,
        "media_type": d.media_type,
        "source": d.source,
        "inbox": d.inbox,
        "received_at": d.received_at.isoformat(),
        "state": d.state,
        "reason_code": d.reason_code,
        "reason": d.reason,
        "flags": d.flags,
        "labels": d.labels,
        **charts.export_fields(conn, doc_id),
        "pages": [
            {"page": p.page_no, "method": p.method, "confidence": p.confidence, "text": p.text} for p in texts
        ],
    }


def _private_file(path: Path) -> IO[str]:
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


COMMANDS = [export]
