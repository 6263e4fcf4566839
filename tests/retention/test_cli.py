"""The retention commands end to end, in process, each acting as a user: plan in
three formats, approve, apply (dry run, then --execute), holds, show, review,
runs; exit codes per error type."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest

from chartdesk.cli import main
from chartdesk.errors import ExitCode
from tests.conftest import PASSWORD
from tests.retention.conftest import Site, site_config
from tests.retention.helpers import actions, states

Runner = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    config = site_config(site.root)
    monkeypatch.setenv("CHARTDESK_TOKEN_DIR", str(site.root / "tokens"))
    monkeypatch.setenv("CHARTDESK_PASSWORD", PASSWORD)
    monkeypatch.delenv("CHARTDESK_USER", raising=False)

    def invoke(user: str, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(["--config", str(config), "--user", user, "retention", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_plan_approve_apply_from_the_command_line(site: Site, run: Runner) -> None:
    code, out, err = run("carl", "plan", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["summary"] == {"destroy": 6, "review": 1, "held": 0}
    assert plan["totals"]["progress_note"] == {"destroy": 2, "review": 0, "held": 0}
    code, out, _ = run("carl", "plan", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(int(r["document_id"]) for r in rows) == sorted(r["document_id"] for r in plan["rows"])
    code, out, _ = run("carl", "plan")
    assert code == 0 and plan["fingerprint"] in out and "totals by class" in out
    assert f"chartdesk retention approve {plan['fingerprint'][:16]}" in out

    code, _, err = run("cora", "apply")
    assert code == ExitCode.not_permitted and "nobody has approved" in err.lower()
    code, out, err = run("carl", "approve", plan["fingerprint"][:16], "--note", "checked against the register")
    assert code == 0, err
    code, _, err = run("carl", "apply", "--execute")
    assert code == ExitCode.not_permitted and "approved only by you" in err.lower()
    code, out, err = run("cora", "apply")
    assert code == 0 and "dry run" in out and "Nothing was changed" in out, err
    assert "destroyed" not in set(states(site.app, list(site.docs.values())).values())
    code, out, err = run("cora", "apply", "--execute")
    assert code == 0, err
    assert "7 destroyed (including 1 split-fax record(s)" in out and ".pdf" in out
    code, out, err = run("cora", "runs")
    assert code == 0 and "disposition-run-00001.csv" in out.replace("\n", "")
    code, out, _ = run("carl", "show", str(site.docs["marked"]))
    assert code == 0 and "destroyed" in out


def test_holds_review_and_show_from_the_command_line(site: Site, run: Runner) -> None:
    code, out, err = run("cora", "hold", "--patient", str(site.patients["A"]), "--matter", "Doe v. Clinic",
                         "--reason", "notice of claim")
    assert code == 0 and "legal hold 1 placed on patient" in out, err
    code, out, _ = run("cora", "holds")
    assert code == 0 and "Doe v. Clinic" in out
    code, out, _ = run("carl", "show", str(site.docs["lab"]))
    assert code == 0 and "held" in out and "legal holds: 1" in out
    code, _, err = run("rita", "hold", "--document", "1", "--matter", "claim 2", "--reason", "notice of claim")
    assert code == ExitCode.not_permitted, err
    code, _, err = run("cora", "hold", "--matter", "claim 2", "--reason", "notice of claim")
    assert code == ExitCode.usage, err
    code, out, err = run("cora", "release", "1", "--reason", "claim withdrawn")
    assert code == 0 and "released" in out, err
    code, _, err = run("cora", "release", "1", "--reason", "claim withdrawn")
    assert code == ExitCode.conflict, err
    code, out, err = run("rita", "review", str(site.docs["consent"]), "--keep-until", "2031-01-01",
                         "--reason", "consent still in force")
    assert code == 0 and "retained" in out, err
    code, _, err = run("rita", "review", str(site.docs["consent"]), "--reason", "nothing decided")
    assert code == ExitCode.usage, err
    code, _, err = run("bill", "plan")
    assert code == ExitCode.not_permitted, err
    code, _, err = run("carl", "show", "9999")
    assert code == ExitCode.not_found, err
    acts = [e[1] for e in actions(site.app)]
    assert {"hold_placed", "holds_viewed", "schedule_viewed", "hold_released", "review_decided"} <= set(acts)
