"""retention: schedules, legal holds and disposition.

plan (what is due, with its fingerprint), approve (by a named approver), apply
(a compliance officer other than the approver; a dry run unless --execute),
hold / release / holds (legal holds), show (one document's disposition), review
(decide a document whose rule ends in review), runs (past runs and their
certificates). Every command acts as a user and is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from chartdesk import retention
from chartdesk.commands.base import Env, pass_env
from chartdesk.errors import UsageError

FORMATS = ("table", "csv", "json")


@click.group("retention")
def retention_group() -> None:
    """Retention schedules, legal holds and disposition of records."""


@retention_group.command("plan")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_env
def plan(env: Env, fmt: str) -> None:
    """List what would be destroyed or reviewed today, with totals by class and the plan's fingerprint."""
    principal = env.principal()
    found = retention.plan_for(env.app(), principal, today=dt.date.today())
    if fmt == "json":
        click.echo(json.dumps(found.as_json(), indent=2))
    elif fmt == "csv":
        retention.write_csv(found, sys.stdout)
    else:
        _plan_table(found)


def _plan_table(found: retention.Plan) -> None:
    console = Console(width=160)
    table = Table("document", "action", "rule", "due since", "class", "patient", "counted from", "held by",
                  title=f"disposition plan as of {found.as_of.isoformat()}")
    for row in (*found.rows, *found.held):
        table.add_row(str(row.document_id), "held" if row.held_by else row.action, row.rule,
                      row.disposition_date.isoformat(), row.doc_class or "", str(row.patient_id or ""),
                      f"{row.basis} {row.basis_date.isoformat() if row.basis_date else ''}",
                      " ".join(str(h) for h in row.held_by))
    console.print(table)
    totals = Table("class", "destroy", "review", "held", title="totals by class")
    for cls, counts in found.totals().items():
        totals.add_row(cls, str(counts["destroy"]), str(counts["review"]), str(counts["held"]))
    console.print(totals)
    summary = found.summary()
    console.print(f"plan fingerprint: {found.fingerprint}")
    console.print(f"{summary['destroy']} to destroy, {summary['review']} to review, {summary['held']} kept by legal holds")
    if found.rows:
        console.print(f"to approve it (someone other than the person applying it): "
                      f"chartdesk retention approve {found.short}")


@retention_group.command("approve")
@click.argument("fingerprint")
@click.option("--note", default="", help="why the approver agrees (kept with the approval)")
@pass_env
def approve(env: Env, fingerprint: str, note: str) -> None:
    """Approve the current plan, named by the fingerprint `plan` showed (12 characters or more)."""
    principal = env.principal()
    approval = retention.approve_plan(env.app(), principal, fingerprint, note=note, today=dt.date.today())
    click.echo(f"plan {approval.fingerprint[:16]} approved by {approval.approver} (approval {approval.id}); "
               f"a compliance officer other than you applies it with `chartdesk retention apply --execute`")


@retention_group.command("apply")
@click.option("--execute", is_flag=True, help="act: without it nothing is destroyed (a dry run)")
@pass_env
def apply(env: Env, execute: bool) -> None:  # noqa: FBT001 - click passes flags positionally
    """Destroy what the approved plan lists (compliance only; a dry run unless --execute)."""
    principal = env.principal()
    outcome = retention.apply(env.app(), principal, execute=execute, today=dt.date.today())
    if outcome.run is not None and outcome.resumed and not outcome.executed:
        click.echo(f"disposition run {outcome.run.id} was interrupted in its {outcome.run.phase} phase; "
                   "`chartdesk retention apply --execute` finishes it")
        return
    if outcome.plan is not None and not outcome.plan.destroy:
        click.echo(f"nothing is due for destruction ({len(outcome.plan.review)} document(s) await review, "
                   f"{len(outcome.plan.held)} kept by legal holds)")
        return
    if not outcome.executed:
        assert outcome.plan is not None and outcome.approval is not None
        click.echo(f"dry run: plan {outcome.plan.short} approved by {outcome.approval.approver}; "
                   f"--execute would destroy {len(outcome.plan.destroy)} document(s). Nothing was changed.")
        return
    run = outcome.run
    assert run is not None
    s = run.summary
    click.echo(f"disposition run {run.id}: {s.get('destroyed', 0)} destroyed (including {s.get('containers', 0)} "
               f"split-fax record(s) whose parts had all gone), {s.get('held', 0)} kept by legal holds, "
               f"{s.get('skipped', 0)} no longer due")
    if run.certificate_csv and run.certificate_pdf:
        click.echo(f"certificates: {run.certificate_csv}\n              {run.certificate_pdf}")


@retention_group.command("hold")
@click.option("--patient", type=int, default=None, help="hold every document of this patient's chart")
@click.option("--document", "document_ids", type=int, multiple=True, help="hold this document (repeatable)")
@click.option("--search", "query", default=None, help="hold what this search finds (evaluated on the database)")
@click.option("--matter", required=True, help="the case, claim or request the hold is for")
@click.option("--reason", required=True, help="why the records must be kept")
@pass_env
def hold(env: Env, patient: int | None, document_ids: tuple[int, ...], query: str | None, matter: str,
         reason: str) -> None:
    """Place a legal hold: nothing it covers is destroyed, whatever the rules say."""
    principal = env.principal()
    placed = retention.place_hold(env.app(), principal, matter=matter, reason=reason, patient_id=patient,
                                  document_ids=document_ids, query=query)
    click.echo(f"legal hold {placed.id} placed on {placed.target}")


@retention_group.command("release")
@click.argument("hold_id", type=int)
@click.option("--reason", required=True, help="why the hold is no longer needed")
@pass_env
def release(env: Env, hold_id: int, reason: str) -> None:
    """Release a legal hold (its record stays)."""
    principal = env.principal()
    released = retention.release_hold(env.app(), principal, hold_id, reason=reason)
    click.echo(f"legal hold {released.id} released")


@retention_group.command("holds")
@click.option("--all", "show_all", is_flag=True, help="released holds too")
@pass_env
def holds(env: Env, show_all: bool) -> None:  # noqa: FBT001 - click passes flags positionally
    """List legal holds."""
    principal = env.principal()
    found = retention.list_holds(env.app(), principal, active_only=not show_all)
    table = Table("hold", "on", "matter", "reason", "placed", "released")
    for h in found:
        released = f"{h.released_at.astimezone():%Y-%m-%d} by {h.released_by}: {h.release_reason}" if h.released_at else ""
        table.add_row(str(h.id), h.target, h.matter, h.reason, f"{h.placed_at.astimezone():%Y-%m-%d} by {h.placed_by}",
                      released)
    Console(width=200).print(table)


@retention_group.command("show")
@click.argument("document_id", type=int)
@pass_env
def show(env: Env, document_id: int) -> None:
    """One document's retention: rule, disposition date, state today, holds."""
    principal = env.principal()
    found = retention.explain(env.app(), principal, document_id, today=dt.date.today())
    click.echo(f"document {document_id}: {found.state}")
    if found.destroyed_at:
        click.echo(f"destroyed {found.destroyed_at.astimezone():%Y-%m-%d %H:%M}")
    d = found.disposition
    if d is not None:
        click.echo(f"rule {d.rule or '(none: not classified)'}, action {d.action}, "
                   f"counted from {d.basis} {d.basis_date.isoformat() if d.basis_date else ''}".rstrip())
        click.echo(f"may be disposed of from {d.date.isoformat()}" if d.date else "no disposition date")
    if found.holds:
        click.echo("legal holds: " + ", ".join(str(h) for h in found.holds))


@retention_group.command("review")
@click.argument("document_id", type=int)
@click.option("--destroy", "destroy", is_flag=True, help="it may be destroyed (it joins the next plan)")
@click.option("--keep-until", "keep_until", default=None, help="keep it; review it again on this day (2030-01-01)")
@click.option("--reason", required=True, help="why")
@pass_env
def review(env: Env, document_id: int, destroy: bool, keep_until: str | None, reason: str) -> None:  # noqa: FBT001
    """Decide a document whose retention rule ends in review."""
    if destroy == (keep_until is not None):
        raise UsageError("decide one thing", remedy="give either --destroy or --keep-until DATE")
    principal = env.principal()
    until = _date(keep_until) if keep_until else None
    found = retention.decide_review(env.app(), principal, document_id, decision="destroy" if destroy else "keep",
                                    keep_until=until, reason=reason, today=dt.date.today())
    click.echo(f"document {document_id}: {found.state}")


@retention_group.command("runs")
@pass_env
def runs(env: Env) -> None:
    """Past disposition runs and their certificates of destruction."""
    principal = env.principal()
    from chartdesk import access

    access.require(principal, "retention")
    table = Table("run", "started", "finished", "phase", "approved by", "applied by", "destroyed", "held",
                  "certificates")
    for run in retention.list_runs(env.app()):
        s = run.summary
        table.add_row(str(run.id), f"{run.started_at.astimezone():%Y-%m-%d %H:%M}",
                      f"{run.finished_at.astimezone():%Y-%m-%d %H:%M}" if run.finished_at else "", run.phase,
                      run.approved_by, run.applied_by, str(s.get("destroyed", "")), str(s.get("held", "")),
                      " ".join(p.name for p in (run.certificate_csv, run.certificate_pdf) if p))
    Console(width=200).print(table)
    click.echo(f"certificates are kept in {retention.certificate_dir(env.settings)}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date", remedy="write it as 2030-01-01") from None


COMMANDS: list[click.Command] = [retention_group]
