"""backup create/verify/list/prune and restore.

`chartdesk backup DEST` is short for `chartdesk backup create DEST` (a
destination that is literally named like a subcommand needs the long form).
Backups act as a user with the `backup` permission of this installation;
`restore` logs in as a user *of the backup* (see chartdesk/backup/restore.py).
An encrypted location is opened with the backup passphrase ($CHARTDESK_BACKUP_PASSPHRASE,
or the file backup.passphrase_file names).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from chartdesk import access, backup, config
from chartdesk.commands.base import Env, pass_env
from chartdesk.config import Settings
from chartdesk.db import Database
from chartdesk.errors import UsageError

BYTE_PHASES = ("original files", "verifying", "original files, page images, quarantine")


class RichProgress:
    """The backup room's Progress as rich bars on standard error; where that is
    not a terminal (cron, a log file), one line per finished phase instead."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._phase: tuple[str, int, float] | None = None  # name, units done, start (no terminal)

    def phase(self, name: str, total: int | None = None) -> None:
        self._finish()
        if not self.console.is_terminal:
            self._phase = (name, 0, time.monotonic())
            return
        self._bar = self._make(in_bytes=name in BYTE_PHASES)
        self._bar.start()
        self._task = self._bar.add_task(name, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._phase is not None:
            name, done, started = self._phase
            self._phase = (name, done + amount, started)
        elif self._bar is not None and self._task is not None:
            self._bar.advance(self._task, amount)

    def _finish(self) -> None:
        if self._phase is not None:
            name, done, started = self._phase
            amount = _size(done) if name in BYTE_PHASES else f"{done:,}"
            self.console.print(f"{name}: done ({amount}, {time.monotonic() - started:.1f} s)", highlight=False)
            self._phase = None
        if self._bar is not None and self._task is not None:
            total = self._bar.tasks[0].total
            if total is not None:
                self._bar.update(self._task, completed=total)
            self._bar.stop()
        self._bar = self._task = None

    def _make(self, *, in_bytes: bool) -> Progress:
        count = DownloadColumn() if in_bytes else MofNCompleteColumn()
        return Progress(TextColumn("{task.description:<32}"), BarColumn(), count, TimeElapsedColumn(),
                        console=self.console)

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._finish()


class BackupGroup(click.Group):
    """A group whose unknown first argument is a destination for `create`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group(name="backup", cls=BackupGroup)
def backup_group() -> None:
    """Back up while chartdesk runs; verify, list and prune backups.

    `chartdesk backup DEST` is short for `chartdesk backup create DEST`."""


_PATH = click.Path(path_type=Path, file_okay=False)


@backup_group.command()
@click.argument("dest", type=_PATH, required=False)
@click.option("--quick", is_flag=True,
              help="check files an earlier backup here already verified by size only (run `backup verify` often)")
@click.option("--unencrypted", is_flag=True,
              help="make a NEW location without encryption (anyone with the disk can read it); "
                   "without this, a new location needs a backup passphrase")
@pass_env
def create(env: Env, dest: Path | None, quick: bool, unencrypted: bool) -> None:  # noqa: FBT001
    """Take a backup into DEST (default: backup.location) while the service runs."""
    app = env.app()
    principal = env.principal()
    access.require(principal, "backup")
    encryption = backup.Encryption.off if unencrypted else backup.Encryption.required
    with RichProgress() as progress:
        result = backup.create_backup(app, principal, dest, progress=progress, full_verify=not quick,
                                      encryption=encryption)
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    m = result.manifest
    click.echo(f"backup {m.id} taken into {result.path}: {m.counts.get('documents', 0)} documents, "
               f"{len(m.originals())} original files, audit log to event {m.audit.head_seq}; "
               f"{result.copied_files} new files ({_size(result.copied_bytes)}) copied in {result.seconds:g} s; "
               "verified")
    if m.missing:
        raise backup.BackupIncompleteError(result.path, len(m.missing))


@backup_group.command()
@click.argument("src", type=_PATH, required=False)
@pass_env
def verify(env: Env, src: Path | None) -> None:
    """Verify a backup, or every backup in a location (default: backup.location):
    checksums of every file, the database copy and its audit chain."""
    access.require(env.principal(), "backup")
    where = src or _default_location(env.settings)
    scratch = env.settings.data_dir if env.settings.data_dir.is_dir() else None
    with RichProgress() as progress:
        reports = backup.verify_backups(where, progress=progress, passphrase=backup.read_passphrase(env.settings.backup),
                                        scratch=scratch)
    problems = []
    for report in reports:
        state = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        click.echo(f"{report.id}: {state} ({report.files_checked} files, {report.audit_events} audit events)")
        for problem in report.problems:
            click.secho(f"  {problem}", fg="red")
        problems += report.problems
    if problems:
        raise backup.BackupDamagedError(where, problems)


@backup_group.command(name="list")
@click.argument("location", type=_PATH, required=False)
@pass_env
def list_(env: Env, location: Path | None) -> None:
    """List backups: when taken, when they expire, what they hold."""
    access.require(env.principal(), "backup")
    for b in backup.list_backups(env.settings, location):
        if b.taken_at is None:
            click.echo(f"{b.path}  UNREADABLE: {b.problem}")
            continue
        assert b.expires_at is not None
        if b.locked:
            click.echo(f"{b.path}  taken {b.taken_at:%Y-%m-%d %H:%M} UTC  expires {b.expires_at:%Y-%m-%d}  "
                       "encrypted (what it holds is shown with the backup passphrase)")
            continue
        click.echo(f"{b.path}  taken {b.taken_at:%Y-%m-%d %H:%M} UTC  expires {b.expires_at:%Y-%m-%d}  "
                   f"{b.documents} documents  {b.files} files  {_size(b.bytes)}"
                   + ("  encrypted" if b.encrypted else "  NOT ENCRYPTED"))


@backup_group.command()
@click.argument("location", type=_PATH, required=False)
@click.option("--dry-run", is_flag=True, help="say what would be removed, remove nothing")
@pass_env
def prune(env: Env, location: Path | None, dry_run: bool) -> None:  # noqa: FBT001
    """Remove backups older than backup.retention_days (keeping the newest
    backup.keep_last), interrupted backups and files no backup needs (audited)."""
    app = env.app()
    principal = env.principal()
    access.require(principal, "backup")
    for r in backup.prune_backups(app, principal, location, dry_run=dry_run):
        verb = "would remove" if dry_run else "removed"
        click.echo(f"{r.location}: {verb} {len(r.removed)} backup(s) {', '.join(r.removed)}; kept {len(r.kept)}; "
                   f"{r.interrupted_removed} interrupted; {r.pool_files_removed} files ({_size(r.bytes_freed)}) freed")
        if r.note and r.note != "dry run":
            click.secho(f"  {r.note}", fg="yellow")


@backup_group.command()
@click.argument("location", type=_PATH, required=False)
@click.option("--new-passphrase-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="read the new passphrase from the first line of this file (otherwise it is asked for twice)")
@pass_env
def passphrase(env: Env, location: Path | None, new_passphrase_file: Path | None) -> None:
    """Give an encrypted LOCATION (default: backup.location) a new passphrase;
    the current one must be configured. No backed-up file changes (audited)."""
    app = env.app()
    principal = env.principal()
    access.require(principal, "backup")
    where = location or _default_location(env.settings)
    if new_passphrase_file is not None:
        lines = new_passphrase_file.read_text(encoding="utf-8").splitlines()
        new = lines[0].strip() if lines else ""
    elif sys.stdin.isatty():
        new = str(click.prompt("new backup passphrase", hide_input=True, confirmation_prompt=True, err=True))
    else:
        raise UsageError("no new passphrase given", remedy="pass --new-passphrase-file FILE, or run this in a terminal")
    backup.change_passphrase(app, principal, where, new)
    click.echo(f"the backup location {where} now opens with the new passphrase; put it in backup.passphrase_file "
               f"(or {backup.PASSPHRASE_ENV}) before the next backup, and keep a copy away from the disk")


@click.command()
@click.argument("src", type=_PATH)
@click.option("--replace-existing", is_flag=True,
              help="restore over an installation's data, which is moved aside (not deleted); stop chartdesk first")
@pass_env
def restore(env: Env, src: Path, replace_existing: bool) -> None:  # noqa: FBT001
    """Restore a backup (a backup folder, or the newest in a location) onto an
    empty data directory: documents, charts, users, holds, the audit log, and a
    rebuilt search index. Log in as a user of the backup with the backup permission;
    with no config file at --config, the backup's config is written there. An
    encrypted backup needs its passphrase: $CHARTDESK_BACKUP_PASSPHRASE (on a new
    machine), or the file backup.passphrase_file names in the config at --config."""
    if not env.user:
        raise access.LoginRequiredError(
            "restore acts as a user of the backup and no user was given",
            remedy="pass --user NAME (a user with the backup permission) and type the password when asked, "
                   "or set $CHARTDESK_PASSWORD",
        )
    config_path = env.config_path.expanduser().resolve()
    passphrase = backup.read_passphrase(config.load(config_path).backup if config_path.exists() else None)
    with RichProgress() as progress:
        result = backup.restore_backup(config_path, src, _login(env), replace_existing=replace_existing,
                                       progress=progress, passphrase=passphrase)
    if result.config_written:
        click.echo(f"wrote the backup's config to {env.config_path}; check its paths for this machine")
    for aside in result.moved_aside:
        click.echo(f"the data that was there is kept at {aside}")
    audit_state = "verifies" if result.audit.ok else f"DOES NOT VERIFY: {result.audit.problem}"
    click.echo(f"restored backup {result.backup_id} (taken {result.taken_at:%Y-%m-%d %H:%M} UTC) into "
               f"{result.data_dir}: {result.documents} documents, {result.files} files, {result.indexed} indexed; "
               f"audit log {audit_state}")
    click.echo(f"documents disposed of after {result.taken_at:%Y-%m-%d %H:%M} UTC are back: run the disposal again")


def _login(env: Env) -> backup.Login:
    def login(db: Database, settings: Settings) -> access.Principal:
        prompt = _ask_password if sys.stdin.isatty() else None
        return access.cli_login(db, settings, username=env.user, client="cli:restore", prompt=prompt)

    return login


def _ask_password(label: str) -> str:
    return str(click.prompt(label, hide_input=True, err=True))


def _default_location(settings: Settings) -> Path:
    if settings.backup.location is None:
        raise backup.NoDestinationError()
    return settings.backup.location


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


COMMANDS = [backup_group, restore]
