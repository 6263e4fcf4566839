"""The command line end to end, as an office's records staff use it: ingest a few
real files, see the outcome of each, check status, search, export, rebuild the
index and search again; a clinician sees only what the policy lets them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chartdesk import config
from chartdesk.app import open_app
from tests.conftest import REPO, add_user, user_env, write_config
from tests.gen import FixtureCache


def chartdesk(cfg: Path, user: str | None, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = user_env(user) if user else None
    done = subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(cfg), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"chartdesk {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


Office = tuple[Path, dict[str, Path], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, gen: FixtureCache) -> Office:
    """An installation into which records staff ingested a letter, a fax and an empty file."""
    root = tmp_path_factory.mktemp("office")
    cfg = write_config(root, pipeline={"workers": 2})
    first = chartdesk(cfg, None, "init")
    assert "initial-admin-password.txt" in first.stdout
    app = open_app(config.load(cfg))
    add_user(app, "hal", "records")
    add_user(app, "dr_who", "clinician")
    app.close()
    drops = root / "drops"
    drops.mkdir()
    files = {
        "letter": gen.build("born_digital", kind="referral_letter", seed=61).path,
        "fax": gen.build("fax", kind="lab_result", seed=62, mode="fine", compression="group4").path,
        "empty": None,
    }
    placed: dict[str, Path] = {}
    for name, src in files.items():
        dest = drops / f"{name}{src.suffix if src else '.pdf'}"
        if src:
            shutil.copyfile(src, dest)
        else:
            dest.write_bytes(b"")
        placed[name] = dest
    done = chartdesk(cfg, "hal", "ingest", "--json", *map(str, placed.values()), check=False)
    return cfg, placed, done


def test_ingest_reports_each_file_and_leaves_them_in_place(office: Office) -> None:
    cfg, files, done = office
    assert done.returncode == 3, "a refused file makes the exit code say bad input"
    rows = {Path(r["file"]).stem: r for r in map(json.loads, done.stdout.splitlines())}
    assert rows["empty"]["state"] == "rejected" and rows["empty"]["reason_code"] == "empty"
    assert "empty" in rows["empty"]["reason"].lower()
    for name in ("letter", "fax"):
        assert rows[name]["outcome"] == "stored"
        assert rows[name]["state"] in ("indexed", "needs_review")
        assert rows[name]["pages"] >= 1
    assert all(p.exists() for p in files.values()), "files given to ingest are copied, never moved"

    again = chartdesk(cfg, "hal", "ingest", "--json", str(files["letter"]))
    assert json.loads(again.stdout)["outcome"] == "duplicate"


def test_status_search_export_and_rebuild(office: Office) -> None:
    cfg, files, _ingested = office
    status = json.loads(chartdesk(cfg, "hal", "status", "--json").stdout)
    assert status["index_backlog"] == 0
    assert status["quarantine"][0]["code"] == "empty"

    found = chartdesk(cfg, "hal", "search", "--json", "writing").stdout.splitlines()
    assert json.loads(found[0])["total"] >= 1
    hits = [json.loads(line) for line in found[1:]]
    assert any("writing" in h["snippet"].lower() for h in hits)

    # The clinician may not see documents that wait in the review queue.
    clinician = [json.loads(line) for line in chartdesk(cfg, "dr_who", "search", "--json", "*").stdout.splitlines()]
    staff = [json.loads(line) for line in chartdesk(cfg, "hal", "search", "--json", "*").stdout.splitlines()]
    review_ids = {h["id"] for h in staff[1:] if h["state"] == "needs_review"}
    assert not review_ids & {h["id"] for h in clinician[1:]}

    exported = [json.loads(line) for line in chartdesk(cfg, "hal", "export", "--jsonl").stdout.splitlines()]
    by_state = {r["state"] for r in exported}
    assert "rejected" in by_state
    letter = next(r for r in exported if r["original_name"] == files["letter"].name)
    assert letter["pages"][0]["text"] and letter["pages"][0]["method"] == "text_layer"
    assert {"doc_class", "class_confidence", "patient_id", "match_candidates"} <= set(letter)

    rebuilt = chartdesk(cfg, "hal", "index", "rebuild")
    assert "backlog now 0" in rebuilt.stdout
    assert json.loads(chartdesk(cfg, "hal", "search", "--json", "writing").stdout.splitlines()[0])["total"] >= 1


def test_without_a_user_nothing_is_shown(office: Office) -> None:
    cfg, _files, _ingested = office
    refused = chartdesk(cfg, None, "search", "referral", check=False)
    assert refused.returncode == 5
    assert "--user" in refused.stderr
