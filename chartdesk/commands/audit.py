"""audit: verify the chain, query the log, the register of disclosures and the
accounting report, break-the-glass reviews. Each command acts as a user with the
matching permission, and each one that shows patient data is itself an event."""

from __future__ import annotations

import datetime as dt
import sys

import click
from rich.console import Console
from rich.table import Table

from chartdesk import access, audit
from chartdesk.commands.base import Env, pass_env
from chartdesk.errors import UsageError


@click.group("audit")
def audit_group() -> None:
    """The audit log: verify, query, disclosures, break-the-glass reviews."""


@audit_group.command("verify")
@pass_env
def verify(env: Env) -> None:
    """Check the whole chain: edited, deleted, inserted, reordered or cut-off events."""
    actor = env.principal()
    access.require(actor, "audit_verify")
    app = env.app()
    with app.db.read() as conn:
        report = audit.verify_log(app.settings, conn)
    with app.db.write() as conn:
        audit.record(conn, audit.AuditVerified(principal=actor, outcome="ok" if report.ok else "failed",
                                               events_checked=report.events_checked, first_bad=report.first_bad))
    if not report.ok:
        where = f" (first bad event: {report.first_bad})" if report.first_bad else ""
        raise audit.ChainBrokenError(
            f"the audit log is not intact{where}: {report.problem}",
            remedy="keep this database and the keys folder as they are and tell the compliance officer",
        )
    click.echo(f"audit log intact: {report.events_checked} events, head {report.head_seq}")


@audit_group.command("reset-checkpoint")
@pass_env
def reset_checkpoint(env: Env) -> None:
    """Sign a new checkpoint after the checkpoint file was lost (the chain must verify)."""
    actor = env.principal()
    access.require(actor, "audit_verify")
    app = env.app()
    with app.db.write() as conn:
        report = audit.verify_log(app.settings, conn)
        if not report.ok and report.first_bad is not None:
            raise audit.ChainBrokenError(f"the chain itself is broken at event {report.first_bad}",
                                         remedy="a new checkpoint would hide it; investigate first")
        seq = audit.reset_checkpoint(conn, audit.load_key(audit.key_path(app.settings)),
                                     audit.checkpoint_path(app.settings))
        audit.record(conn, audit.AuditVerified(principal=actor, events_checked=report.events_checked,
                                               extra={"checkpoint_reset_at": seq}))
    click.echo(f"new checkpoint at event {seq}")


@audit_group.command("query")
@click.option("--user", "user", default=None, help="events by this user name")
@click.option("--patient", type=int, default=None, help="events about this patient id")
@click.option("--document", type=int, default=None, help="events about this document id")
@click.option("--action", "actions", multiple=True, help="this action (repeatable); see docs for the list")
@click.option("--outcome", default=None, help="ok, denied, failed or not_found")
@click.option("--since", default=None, help="from this date or time (local), e.g. 2026-03-01")
@click.option("--until", default=None, help="up to this date or time (local, inclusive)")
@click.option("--break-glass", "break_glass", is_flag=True, help="break-the-glass events only")
@click.option("--format", "fmt", type=click.Choice(audit.FORMATS), default="table", show_default=True)
@click.option("--limit", type=int, default=None, help="at most this many events")
@pass_env
def query(env: Env, user: str | None, patient: int | None, document: int | None, actions: tuple[str, ...],
          outcome: str | None, since: str | None, until: str | None,
          break_glass: bool,  # noqa: FBT001 - click passes flags positionally
          fmt: str, limit: int | None) -> None:
    """Who did what, when: filter the audit log; output a table, CSV or JSON lines."""
    actor = env.principal()
    access.require(actor, "audit_read")
    q = audit.AuditQuery(user=user, patient_id=patient, document_id=document, actions=actions, outcome=outcome,
                         since=audit.parse_time(since) if since else None,
                         until=audit.parse_time(until, end_of_day=True) if until else None,
                         break_glass_only=break_glass, limit=limit)
    app = env.app()
    with app.db.read() as conn:
        records = audit.query_events(conn, q)
    with app.db.write() as conn:
        audit.record(conn, audit.AuditQueried(principal=actor, filters=q.as_detail(), result_count=len(records),
                                              patient_id=patient, document_id=document))
    _output(records, fmt)


def _output(records: list[audit.AuditRecord], fmt: str) -> None:
    if fmt == "csv":
        audit.write_csv(records, sys.stdout)
    elif fmt == "jsonl":
        audit.write_jsonl(records, sys.stdout)
    else:
        table = Table("seq", "time", "user", "role", "action", "doc", "patient", "outcome", "client", "detail")
        for row in audit.table_rows(records):
            table.add_row(*row)
        Console(width=200).print(table)


@audit_group.command("disclose")
@click.option("--patient", type=int, required=True, help="the patient whose records were released")
@click.option("--date", "on", required=True, help="date of the release, e.g. 2026-03-01")
@click.option("--recipient", required=True, help="who received them")
@click.option("--address", required=True, help="the recipient's address")
@click.option("--what", required=True, help="what was disclosed")
@click.option("--purpose", required=True, help="why (e.g. a subpoena, a life insurer with authorisation)")
@click.option("--document", "document_ids", type=int, multiple=True, help="a document released (repeatable)")
@pass_env
def disclose(env: Env, patient: int, on: str, recipient: str, address: str, what: str, purpose: str,
             document_ids: tuple[int, ...]) -> None:
    """Enter a release of information outside the practice in the register."""
    actor = env.principal()
    access.require(actor, "disclose")
    day = _date(on)
    with env.app().db.write() as conn:
        entry = audit.record_disclosure(conn, actor, patient_id=patient, disclosed_on=day, recipient=recipient,
                                        recipient_address=address, description=what, purpose=purpose,
                                        document_ids=document_ids)
    click.echo(f"disclosure {entry.id} recorded")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date", remedy="write it as 2026-03-01") from None


@audit_group.command("disclosures")
@click.argument("patient", type=int)
@click.option("--years", type=int, default=None, help="how far back (default [access] disclosure_years, 6)")
@click.option("--format", "fmt", type=click.Choice(("table", "jsonl")), default="table", show_default=True)
@pass_env
def disclosures(env: Env, patient: int, years: int | None, fmt: str) -> None:
    """The accounting of disclosures for one patient."""
    actor = env.principal()
    access.require(actor, "accounting")
    span = years or env.settings.access.disclosure_years
    with env.app().db.write() as conn:
        entries = audit.accounting(conn, actor, patient, years=span)
    if fmt == "jsonl":
        import json

        for e in entries:
            click.echo(json.dumps({"id": e.id, "date": e.disclosed_on.isoformat(), "recipient": e.recipient,
                                   "address": e.recipient_address, "what": e.description, "purpose": e.purpose,
                                   "documents": list(e.document_ids), "released_by": e.released_by}))
        return
    table = Table("date", "recipient", "address", "what", "purpose", "documents", "released by",
                  title=f"disclosures for patient {patient}, last {span} years")
    for e in entries:
        table.add_row(e.disclosed_on.isoformat(), e.recipient, e.recipient_address, e.description, e.purpose,
                      " ".join(map(str, e.document_ids)), e.released_by)
    Console(width=200).print(table)


@audit_group.command("grants")
@click.option("--all", "show_all", is_flag=True, help="reviewed grants too")
@pass_env
def grants(env: Env, show_all: bool) -> None:  # noqa: FBT001 - click passes flags positionally
    """Break-the-glass grants waiting for compliance review."""
    actor = env.principal()
    access.require(actor, "review_break_glass")
    with env.app().db.write() as conn:
        rows = access.list_grants(conn, pending_only=not show_all)
        audit.record(conn, audit.AuditQueried(principal=actor, filters={"grants": "all" if show_all else "pending"},
                                              result_count=len(rows)))
    table = Table("grant", "user id", "document", "patient", "granted", "until", "review", "reason")
    for g in rows:
        table.add_row(str(g.id), str(g.user_id), str(g.document_id or ""), str(g.patient_id or ""),
                      g.granted_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                      g.expires_at.astimezone().strftime("%H:%M"), g.review_status, g.reason)
    Console(width=200).print(table)


@audit_group.command("review-grant")
@click.argument("grant_id", type=int)
@click.option("--status", type=click.Choice(("accepted", "concern")), required=True)
@click.option("--note", required=True, help="what the review found")
@pass_env
def review_grant(env: Env, grant_id: int, status: str, note: str) -> None:
    """Close the compliance review of a break-the-glass grant."""
    actor = env.principal()
    with env.app().db.write() as conn:
        access.review_grant(conn, actor, grant_id, status=status, note=note)
    click.echo(f"grant {grant_id}: {status}")


@audit_group.command("events")
def events() -> None:
    """List every kind of audit event and what it records."""
    for action, cls in audit.EVENT_TYPES.items():
        click.echo(f"{action:<22} {cls.summary}")
COMMANDS: list[click.Command] = [audit_group]
