"""The held-out benchmark set must be independent of what the classifier is trained
on: the training code cannot import the held-out generator, and the held-out
generator does not reuse the seed corpus's templates or word banks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

TRAINING_SIDE = REPO / "chartdesk" / "classify"
HELDOUT = REPO / "bench" / "heldout"


def _imports(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_training_code_never_names_the_heldout_generator() -> None:
    assert not {n for n in _imports(TRAINING_SIDE) if n.startswith(("bench", "tests"))}


def test_heldout_generator_does_not_use_the_seed_corpus() -> None:
    assert HELDOUT.is_dir()
    assert not {n for n in _imports(HELDOUT) if n.startswith(("chartdesk.classify", "tests"))}


def test_training_runs_with_the_heldout_package_unimportable(tmp_path: Path) -> None:
    """Given an import hook that refuses bench.*, when the classifier is trained, then it trains."""
    script = f"""
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "bench" or name.startswith("bench."):
            raise ImportError("held-out code imported by training: " + name)
        return None
sys.meta_path.insert(0, Refuse())
from tests.conftest import make_settings
from chartdesk import classify
from pathlib import Path
model, report = classify.train(make_settings(Path({str(tmp_path)!r}), classify={{"seed_per_class": 20}}))
assert not [m for m in sys.modules if m == "bench" or m.startswith("bench.")]
print("trained", report.heldout_accuracy)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "trained" in done.stdout
