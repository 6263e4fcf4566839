"""A new installation trains its classifier once, however many workers start
together: the first takes the training lock beside the model, the others wait
for it and then load what it saved. The model is written whole or not at all."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from chartdesk import classify
from tests.conftest import REPO, make_settings

WORKER = """
import logging, sys, time
from pathlib import Path
from tests.conftest import make_settings
from chartdesk import classify

logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(message)s")
root = Path(sys.argv[1])
settings = make_settings(root, classify={"model_file": "", "seed_per_class": 20})
(root / f"ready-{sys.argv[2]}").touch()
while not (root / "go").exists():
    time.sleep(0.005)
print(classify.ensure(settings).version)
"""


def _start(root: Path, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(root), name], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_workers_starting_together_train_once(tmp_path: Path) -> None:
    """Given a new installation (no model) and two worker processes that have
    imported everything, when both ask for the classifier at the same moment,
    then one trains and saves it, and the other loads that same model."""
    workers = [_start(tmp_path, name) for name in ("a", "b")]
    deadline = time.monotonic() + 120  # a guard against a hung start, not a speed check
    while not all((tmp_path / f"ready-{n}").exists() for n in ("a", "b")):
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outputs = [w.communicate(timeout=600) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    versions = {out.strip() for out, _ in outputs}
    logs = "".join(err for _, err in outputs)
    assert logs.count("classifier trained: version") == 1, logs
    assert logs.count("on the seed corpus (first use") == 1, logs
    model_file = classify.model_path(make_settings(tmp_path, classify={"model_file": ""}))
    assert versions == {classify.load(model_file)[0].version}
    assert sorted(p.name for p in model_file.parent.iterdir()) == ["classifier.lock", "classifier.pkl"]  # no temp file left
