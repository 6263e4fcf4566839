"""The command line: no records without a valid user; each command that reads
or changes patient data writes its audit event; verify, query and the
disclosure register end to end."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from sqlalchemy import select

from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.cli import cli, main
from chartdesk.db import audit_events
from chartdesk.errors import ExitCode
from tests.access.conftest import CHEAP_LOGIN, PASSWORD, insert_document, insert_patient
from tests.audit.tamper import intruder
from tests.conftest import write_config

Runner = Callable[..., tuple[int, str, str]]

# Every command acts as a user (exit 5 without one), with arguments that get it
# past click's own checks; or it is listed below as not touching records.
# A new command must be added to one of the two.
ACTS_AS_USER: dict[str, list[str]] = {
    "audit disclose": ["--patient", "1", "--date", "2026-01-02", "--recipient", "r", "--address", "a",
                       "--what", "w", "--purpose", "p"],
    "audit disclosures": ["1"],
    "audit grants": [],
    "audit query": [],
    "audit reset-checkpoint": [],
    "audit review-grant": ["1", "--status", "accepted", "--note", "n"],
    "audit verify": [],
    "backup create": [],
    "backup list": [],
    "backup passphrase": [],
    "backup prune": [],
    "backup verify": [],
    "classifier info": [],
    "export": ["--jsonl"],
    "index rebuild": [],
    "ingest": ["{config}"],
    "quarantine list": [],
    "quarantine purge": [],
    "reprocess": ["1"],
    "search": ["x"],
    "retention apply": ["--execute"],
    "retention approve": ["0123456789abcdef"],
    "retention hold": ["--patient", "1", "--matter", "claim 1", "--reason", "notice of claim"],
    "retention holds": [],
    "retention plan": [],
    "retention release": ["1", "--reason", "claim withdrawn"],
    "retention review": ["1", "--destroy", "--reason", "superseded"],
    "retention runs": [],
    "retention show": ["1"],
    "restore": ["no-such-backup"],
    "status": [],
    "classifier train": [],
    "patients import": ["{config}"],
    "patients list": [],
    "patients merge": ["1", "--into", "2", "--reason", "r"],
    "patients move": ["1", "--to", "2", "--reason", "r"],
    "patients show": ["1"],
    "review assign": ["1", "--no-patient"],
    "review list": [],
    "review reject": ["1", "--reason", "r"],
    "review show": ["1"],
    "users add": ["x1", "--role", "billing"],
    "users disable": ["x1"],
    "users enable": ["x1"],
    "users list": [],
    "users passwd": [],
    "users reset-password": ["x1"],
    "users set-role": ["x1", "billing"],
    "users token": [],
}
# Setting up and driving the service: no patient data shown or changed by a person.
NO_USER = {"audit events", "init", "run", "serve"}


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        found += _commands(command, path + " ") if isinstance(command, click.Group) else [path]
    return found


@pytest.fixture
def config(app: App, tmp_path: Path) -> Path:
    return write_config(tmp_path, access={"login": dict(CHEAP_LOGIN)})


@pytest.fixture
def run(config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Runner:
    monkeypatch.setenv("CHARTDESK_TOKEN_DIR", str(tmp_path / "tokens"))
    for name in ("CHARTDESK_USER", "CHARTDESK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, user: str | None = None, password: str | None = PASSWORD) -> tuple[int, str, str]:
        capsys.readouterr()
        argv = ["--config", str(config), *(["--user", user] if user else []), *args]
        with monkeypatch.context() as m:
            if user and password:
                m.setenv("CHARTDESK_PASSWORD", password)
            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def _events(app: App) -> list[tuple[str, str, str]]:
    with app.db.read() as conn:
        rows = conn.execute(select(audit_events).order_by(audit_events.c.seq)).all()
    return [(r.action, r.actor, r.outcome) for r in rows]


def test_every_command_is_classified() -> None:
    commands = set(_commands(cli))
    unknown = commands - set(ACTS_AS_USER) - NO_USER
    assert not unknown, f"add these commands to ACTS_AS_USER (with arguments) or NO_USER: {sorted(unknown)}"


def test_the_cli_refuses_without_a_valid_user(run: Runner, config: Path,
                                              add_user: Callable[..., Principal]) -> None:
    add_user("rita", "records")
    for command in sorted(set(ACTS_AS_USER) & set(_commands(cli))):
        args = [a.format(config=config) for a in ACTS_AS_USER[command]]
        code, _, err = run(*command.split(), *args)
        assert code == ExitCode.not_permitted, (command, code, err)
        assert "--user NAME" in err, (command, err)
        code, _, err = run(*command.split(), *args, user="rita", password="not her password")
        assert code == ExitCode.not_permitted and "wrong" in err, (command, err)


def test_a_role_without_the_permission_is_refused(run: Runner, app: App, add_user: Callable[..., Principal]) -> None:
    add_user("bill", "billing")
    for args in (["audit", "query"], ["audit", "verify"], ["users", "list"], ["audit", "disclosures", "1"]):
        code, _, err = run(*args, user="bill")
        assert code == ExitCode.not_permitted and ("does not allow" in err or "administrator" in err), (args, err)


def test_commands_that_read_patient_data_write_their_event(run: Runner, app: App,
                                                           add_user: Callable[..., Principal]) -> None:
    add_user("cora", "compliance")
    add_user("rick", "records")
    with app.db.write() as conn:
        patient = insert_patient(conn, mrn="300")
        doc = insert_document(conn, patient_id=patient)
    expected = [
        (["audit", "disclose", "--patient", str(patient), "--date", "2026-01-05", "--recipient", "Acme Life",
          "--address", "1 Main St", "--what", "progress notes 2025", "--purpose", "life insurance application",
          "--document", str(doc)], "rick", "disclosure"),
        (["audit", "disclosures", str(patient)], "rick", "disclosures_reported"),
        (["audit", "query", "--patient", str(patient)], "cora", "audit_queried"),
        (["audit", "grants"], "cora", "audit_queried"),
        (["audit", "verify"], "cora", "audit_verified"),
    ]
    for args, user, action in expected:
        before = len(_events(app))
        code, out, err = run(*args, user=user)
        assert code == 0, (args, err)
        new = _events(app)[before:]
        assert new == [("login", user, "ok"), (action, user, "ok")], (args, new)


def test_verify_names_the_first_bad_event(run: Runner, app: App, add_user: Callable[..., Principal]) -> None:
    add_user("cora", "compliance")
    assert run("audit", "verify", user="cora")[0] == 0
    with intruder(app.settings.data_dir / "chartdesk.db") as db:
        db.execute("UPDATE audit_events SET outcome = 'ok' WHERE seq = 1")
        db.execute("UPDATE audit_events SET actor = 'nobody' WHERE seq = 2")
    code, _, err = run("audit", "verify", user="cora")
    assert code == ExitCode.conflict and "first bad event: 2" in err


def test_query_filters_and_formats(run: Runner, app: App, add_user: Callable[..., Principal]) -> None:
    add_user("cora", "compliance")
    run("audit", "query", user="nobody")  # a failed login to find
    code, out, _ = run("audit", "query", "--action", "login_failed", "--format", "jsonl", user="cora")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["actor"], r["outcome"], r["detail"]["reason"]) for r in rows] == [
        ("nobody", "failed", "unknown_user")]
    code, out, _ = run("audit", "query", "--user", "cora", "--format", "csv", user="cora")
    table = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["action"] for r in table} == {"login", "audit_queried"}
    code, out, _ = run("audit", "query", "--since", "2000-01-01", "--until", "2000-12-31", "--format", "jsonl",
                       user="cora")
    assert code == 0 and out == ""
    code, out, _ = run("audit", "query", "--break-glass", user="cora")
    assert code == 0 and "seq" in out
    code, _, err = run("audit", "query", "--action", "teleport", user="cora")
    assert code == ExitCode.usage and "unknown action" in err.lower()
