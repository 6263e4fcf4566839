"""search: the same search as the web page, from the command line, audited."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from chartdesk.commands.base import Env, pass_env
from chartdesk.records import reading

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


@click.command()
@click.argument("query", nargs=-1)
@click.option("--class", "doc_class", default="", help="only this document class (e.g. lab_result)")
@click.option("--patient", default="", help="only this patient's chart (patient id)")
@click.option("--source", type=click.Choice(["", "scan", "fax", "dictation", "upload"]), default="",
              help="only documents from this source")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="document date on or after (YYYY-MM-DD)")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="document date on or before (YYYY-MM-DD)")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per hit, after a summary line")
@pass_env
def search(
    env: Env,
    query: tuple[str, ...],
    doc_class: str,
    patient: str,
    source: str,
    date_from: dt.datetime | None,
    date_to: dt.datetime | None,
    page: int,
    as_json: bool,  # noqa: FBT001 - click passes flags positionally
) -> None:
    """Search the documents you may open: words, "phrases", prefix*, AND/OR/NOT,
    and filters such as class:lab_result or date:2026-03-01..2026-03-31."""
    app = env.app()
    principal = env.principal()
    form = reading.SearchForm(
        q=" ".join(query),
        doc_class=doc_class,
        patient=patient,
        source=source,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        page=page,
    )
    index = reading.live_index(app, {})
    try:
        results = reading.search(app, index, principal, form)
    finally:
        index.close()
    if as_json:
        _print_json(results)
    else:
        _print_table(results)


def _print_json(results: reading.SearchPage) -> None:
    click.echo(json.dumps({"total": results.total, "page": results.form.page, "pages": results.pages}))
    for hit in results.hits:
        d = hit.doc
        click.echo(json.dumps({
            "id": d.doc_id, "title": d.title, "class": d.doc_class, "patient_id": d.patient_id,
            "patient": d.patient_name, "doc_date": d.doc_date.isoformat() if d.doc_date else None,
            "source": d.source, "state": d.state, "page": hit.page, "snippet": _plain(hit.snippet),
        }, ensure_ascii=False))


def _print_table(results: reading.SearchPage) -> None:
    console = Console()
    if not results.total:
        console.print("no documents found (only documents you may open are searched)")
        return
    table = Table(title=f"{results.total} document(s), page {results.form.page} of {results.pages}")
    for col in ("id", "document", "patient", "date", "where"):
        table.add_column(col, overflow="fold")
    for hit in results.hits:
        d = hit.doc
        table.add_row(
            str(d.doc_id),
            Text(d.title) + Text(f"\n{d.doc_class or 'unclassified'} · {d.source}", style="dim"),
            d.patient_name or "(not filed)",
            d.doc_date.isoformat() if d.doc_date else "",
            _snippet(hit.snippet, hit.page),
        )
    console.print(table)


def _snippet(snippet_html: str, page: int | None) -> Text:
    """The index's snippet (escaped HTML, matches in <mark>) as terminal text."""
    text = Text(f"p.{page}: " if page else "", style="dim")
    pos = 0
    for m in _MARK.finditer(snippet_html):
        text.append(html.unescape(snippet_html[pos:m.start()]))
        text.append(html.unescape(m.group(1)), style="bold reverse")
        pos = m.end()
    text.append(html.unescape(snippet_html[pos:]))
    return text


def _plain(snippet_html: str) -> str:
    return html.unescape(_MARK.sub(r"\1", snippet_html))


COMMANDS = [search]
