"""Disposal killed at its fault points (chartdesk.faults: SIGKILL, as a power cut
would stop it) and resumed by the next apply: never a document half-deleted
(its original gone while it is still searchable), nothing left of it once the
run is finished, holds placed meanwhile still win, certificates exact."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from chartdesk import retention
from chartdesk.db import documents, retention_run_items, retention_runs
from chartdesk.faults import FAULTS_ENV
from tests.conftest import user_env
from tests.retention.conftest import Site, site_config
from tests.retention.helpers import (
    TODAY,
    actions,
    certificate_ids,
    files_holding,
    marker_term_count,
    states,
)

KILLED = -9


def _approve(site: Site) -> retention.Plan:
    plan = retention.plan_for(site.app, site.principal("carl"), today=TODAY)
    retention.approve_plan(site.app, site.principal("carl"), plan.short, note="approved", today=TODAY)
    return plan


def _apply_in_child(site: Site, fault: str) -> subprocess.CompletedProcess[str]:
    config = site_config(site.root)
    env = {**user_env("cora"), FAULTS_ENV: fault}
    return subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(config), "retention", "apply", "--execute"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=site.root)


def _resume(site: Site) -> retention.ApplyOutcome:
    outcome = retention.apply(site.app, site.principal("cora"), execute=True, today=TODAY)
    assert outcome.executed and outcome.resumed and outcome.run is not None and outcome.run.finished
    return outcome


def _phase(site: Site) -> str:
    with site.app.db.read() as conn:
        return str(conn.execute(select(retention_runs.c.phase)).scalar_one())


def _sha(site: Site, doc_id: int) -> str:
    with site.app.db.read() as conn:
        return str(conn.execute(select(documents.c.sha256).where(documents.c.id == doc_id)).scalar_one())


def test_killed_after_the_records_then_resumed(site: Site) -> None:
    """Killed when every record is destroyed but before the index let go: the
    originals are all still there (nothing is half-deleted: the documents are
    still in the index, so their files stay), and the resumed run finishes."""
    plan = _approve(site)
    shas = {_sha(site, d) for d in (site.docs["marked"], site.docs["fax"])}
    result = _apply_in_child(site, retention.AFTER_RECORDS)
    assert result.returncode == KILLED, result.stderr
    assert _phase(site) == "records"  # every record gone, the phase not yet moved on
    with site.app.db.read() as conn:
        assert "pending" not in set(conn.execute(select(retention_run_items.c.status)).scalars())
    assert all(site.app.store.exists(s) for s in shas)
    assert marker_term_count(site) >= 1  # still in the index, so its file is still there
    outcome = _resume(site)
    gone = {r.document_id for r in plan.destroy} | {site.docs["fax"]}
    assert set(states(site.app, sorted(gone)).values()) == {"destroyed"}
    assert not any(site.app.store.exists(s) for s in shas)
    assert files_holding(site.root) == [] and marker_term_count(site) == 0
    assert outcome.run is not None and outcome.run.certificate_csv is not None
    assert sorted(certificate_ids(outcome.run.certificate_csv)) == sorted(gone)
    assert {e[2] for e in actions(site.app, "destroyed")} == gone  # each destruction audited once
    assert len(actions(site.app, "destroyed")) == len(gone)
    assert [e[1] for e in actions(site.app, "disposal_resumed")] == ["disposal_resumed"]


def test_killed_while_removing_files_then_resumed(site: Site) -> None:
    """Killed after one document's files went: by then no destroyed document is
    in the search index any more; the resumed run removes the rest."""
    plan = _approve(site)
    result = _apply_in_child(site, retention.MID_FILES)
    assert result.returncode == KILLED, result.stderr
    assert _phase(site) == "files"
    assert not (site.settings.derived_dir / str(site.docs["marked"])).exists()  # the first document's files went
    gone = {r.document_id for r in plan.destroy} | {site.docs["fax"]}
    assert retention.stored_copies(site.settings, gone) == (set(), set())
    assert marker_term_count(site) == 0
    outcome = _resume(site)
    assert files_holding(site.root) == []
    assert outcome.run is not None and outcome.run.certificate_csv is not None
    assert sorted(certificate_ids(outcome.run.certificate_csv)) == sorted(gone)


def test_a_hold_placed_while_a_run_is_interrupted_still_wins(site: Site) -> None:
    """Given a run killed after it listed its documents, when a hold is placed on
    one of them and the run is resumed, that document is kept and the keeping
    is audited; the run's certificate does not list it."""
    plan = _approve(site)
    result = _apply_in_child(site, retention.AFTER_START)
    assert result.returncode == KILLED, result.stderr
    lab = site.docs["lab"]
    assert lab in {r.document_id for r in plan.destroy}
    hold = retention.place_hold(site.app, site.principal("carl"), matter="late notice", reason="claim filed today",
                                document_ids=(lab,))
    outcome = _resume(site)
    assert states(site.app, [lab]) == {lab: "indexed"}
    assert site.app.store.exists(_sha(site, lab))
    with site.app.db.read() as conn:
        item = conn.execute(select(retention_run_items).where(retention_run_items.c.document_id == lab)).one()
    assert item.status == "held" and str(hold.id) in item.note
    kept = actions(site.app, "kept_on_hold")
    assert [(e[2], e[3]["holds"]) for e in kept] == [(lab, [hold.id])]
    assert outcome.run is not None and outcome.run.certificate_csv is not None
    assert lab not in certificate_ids(outcome.run.certificate_csv)
    assert outcome.run.summary["held"] == 1


def test_the_approver_cannot_finish_an_interrupted_run(site: Site) -> None:
    _approve(site)
    assert _apply_in_child(site, retention.AFTER_START).returncode == KILLED
    import pytest

    with pytest.raises(retention.NotApprovedError):
        retention.apply(site.app, site.principal("carl"), execute=True, today=TODAY)
    assert os.environ.get(FAULTS_ENV) is None
    assert Path(site.root).exists()
