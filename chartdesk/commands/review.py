"""`chartdesk review ...`: the review queue."""

from __future__ import annotations

import json

import click

from chartdesk import access, audit, charts
from chartdesk.commands.base import Env, pass_env


@click.group("review")
def review_group() -> None:
    """Documents waiting for a person: list, show the evidence, assign, reject."""


@review_group.command("list")
@click.option("--limit", default=100, show_default=True)
@pass_env
def list_cmd(env: Env, limit: int) -> None:
    """The open review queue, oldest first, with the reasons."""
    principal = env.principal()
    access.require(principal, "review")
    with env.app().db.write() as conn:
        items = charts.list_queue(conn, limit=limit)
        audit.record(conn, audit.ReviewQueueViewed(principal=principal, item_count=len(items)))
    for i in items:
        best = f"best #{i.best_candidate} p={i.best_probability:.4f}" if i.best_candidate is not None else "no candidate"
        conf = f"{i.class_confidence:.2f}" if i.class_confidence is not None else "-"
        click.echo(f"{i.document_id}\t{i.source}\t{i.doc_class or '-'} ({conf})\t{','.join(i.reasons)}\t{best}")


@review_group.command("show")
@click.argument("document", type=int)
@pass_env
def show_cmd(env: Env, document: int) -> None:
    """One document's class, identifiers found, candidates and the evidence for each."""
    principal = env.principal()
    access.require(principal, "review")
    with env.app().db.write() as conn:
        access.require_document(conn, principal, document, "view")
        view = charts.show(conn, document)
        audit.record(conn, audit.DocumentViewed(principal=principal, document_id=document, extra={"via": "review show"}))
    click.echo(json.dumps({"document": view.document, "review": view.item, "classification": view.classification,
                           "identifiers": view.identifiers, "candidates": view.candidates, "decisions": view.decisions},
                          indent=2, default=str))


@review_group.command("assign")
@click.argument("document", type=int)
@click.option("--patient", default=None, help="MRN or #id of the patient")
@click.option("--class", "doc_class", default=None, help="the document's class")
@click.option("--no-patient", is_flag=True, help="file it without a patient (e.g. an office memo)")
@click.option("--reason", default="", help="a note kept with the decision")
@pass_env
def assign_cmd(env: Env, document: int, patient: str | None, doc_class: str | None, no_patient: bool,  # noqa: FBT001 - click passes flags positionally
               reason: str) -> None:
    """File a document: its patient and (optionally) its class."""
    principal = env.principal()
    access.require(principal, "review")
    app = env.app()
    with app.db.read() as conn:
        access.require_document(conn, principal, document, "file")
        if doc_class:
            access.require_document(conn, principal, document, "reclassify")
        pid = charts.resolve_patient(conn, patient) if patient else None
    d = charts.assign(app.db, app.settings, document, principal=principal, patient_id=pid, doc_class=doc_class,
                      no_patient=no_patient, reason=reason)
    click.echo(f"document {document} filed: patient {d.patient_id if d.patient_id is not None else '(none)'}, class {d.doc_class}")


@review_group.command("reject")
@click.argument("document", type=int)
@click.option("--reason", required=True)
@pass_env
def reject_cmd(env: Env, document: int, reason: str) -> None:
    """Take a document out of the records (not ours, blank, a duplicate)."""
    principal = env.principal()
    access.require(principal, "review")
    app = env.app()
    with app.db.read() as conn:
        access.require_document(conn, principal, document, "view")
    charts.reject(app.db, document, principal=principal, reason=reason)
    click.echo(f"document {document} rejected")


COMMANDS: list[click.Command] = [review_group]
