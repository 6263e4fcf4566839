"""`chartdesk patients ...`: the patient master index and charts."""

from __future__ import annotations

from pathlib import Path

import click

from chartdesk import access, audit, charts
from chartdesk.commands.base import Env, pass_env


@click.group("patients")
def patients_group() -> None:
    """The patient master index: import, list, show, move documents, merge records."""


@patients_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_env
def import_cmd(env: Env, file: Path) -> None:
    """Import patients or encounters from CSV, a FHIR R4 Bundle (.json) or NDJSON."""
    principal = env.principal()
    access.require(principal, "edit_patient")
    app = env.app()
    report = charts.import_file(app.db, app.settings, file, principal)
    click.echo(f"{report.file_format}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged; "
               f"encounters {report.encounters_added} added, {report.encounters_updated} updated, {report.encounters_unchanged} unchanged")
    if report.requeued_documents:
        click.echo(f"{report.requeued_documents} document(s) waiting for a patient will be matched again")
    for w in report.warnings:
        click.echo(f"warning: {w.where}: {w.reason}")
    for r in report.rejected:
        click.echo(f"rejected: {r.where}: {r.reason}", err=True)
    if report.rejected:
        click.echo(f"{len(report.rejected)} row(s) rejected; fix them and import the file again (imports are idempotent)", err=True)


@patients_group.command("list")
@click.option("--search", default=None, help="part of a name, or an MRN")
@click.option("--limit", default=50, show_default=True)
@pass_env
def list_cmd(env: Env, search: str | None, limit: int) -> None:
    """List patients (name, MRN, date of birth)."""
    principal = env.principal()
    access.require(principal, "view")
    with env.app().db.read() as conn:
        found = charts.list_patients(conn, search=search, limit=limit)
    for p in found:
        click.echo(f"#{p.id}\t{p.mrn}\t{p.display_name}\t{p.birth_date or '-'}")


@patients_group.command("show")
@click.argument("patient")
@pass_env
def show_cmd(env: Env, patient: str) -> None:
    """Show one patient (MRN or #id) and their chart, grouped by class."""
    principal = env.principal()
    access.require(principal, "view")
    app = env.app()
    with app.db.write() as conn:
        pid = charts.resolve_patient(conn, patient)
        view = charts.chart(conn, pid)
        audit.record(conn, audit.PatientViewed(principal=principal, patient_id=pid))
    p = view.patient
    click.echo(f"#{p.id}  MRN {p.mrn}  {p.display_name}  born {p.birth_date or '-'}  sex {p.sex or '-'}  phone {p.phone or '-'}")
    for n in p.names[1:]:
        click.echo(f"  also known as ({n['kind']}): {n['family']}, {n['given']}")
    for i in p.identifiers:
        click.echo(f"  {i['kind']} {i['system']}: {i['value']}")
    click.echo(f"  last encounter: {p.last_encounter or '-'}   documents: {view.count}")
    for doc_class, entries in view.groups.items():
        click.echo(f"{doc_class}:")
        for e in entries:
            click.echo(f"  {e.date}{' (received)' if e.date_is_received else ''}  document {e.document_id}  {e.source}  {e.state}")


@patients_group.command("move")
@click.argument("document", type=int)
@click.option("--to", "to_patient", required=True, help="MRN or #id of the chart to move it to")
@click.option("--reason", required=True, help="why it moves (kept in the audit log)")
@pass_env
def move_cmd(env: Env, document: int, to_patient: str, reason: str) -> None:
    """Move a document to another patient's chart."""
    principal = env.principal()
    app = env.app()
    with app.db.read() as conn:
        access.require_document(conn, principal, document, "file")
        pid = charts.resolve_patient(conn, to_patient)
    old = charts.move_document(app.db, document, pid, reason=reason, principal=principal)
    click.echo(f"document {document} moved from patient {old if old is not None else '(none)'} to patient {pid}")


@patients_group.command("merge")
@click.argument("merged")
@click.option("--into", "into", required=True, help="MRN or #id of the record that stays")
@click.option("--reason", required=True)
@pass_env
def merge_cmd(env: Env, merged: str, into: str, reason: str) -> None:
    """Merge a duplicate patient record into another; its documents move with an audit trail."""
    principal = env.principal()
    access.require(principal, "edit_patient")
    access.require(principal, "file")
    app = env.app()
    with app.db.read() as conn:
        a, b = charts.resolve_patient(conn, merged), charts.resolve_patient(conn, into)
    result = charts.merge_patients(app.db, a, b, reason=reason, principal=principal)
    click.echo(f"patient {a} merged into {b}: {result.documents_moved} document(s) moved, {result.documents_requeued} to match again")


COMMANDS: list[click.Command] = [patients_group]
