"""Fixtures every test folder may use: an installation in a temp folder.

`make_settings(tmp_path, ...)` builds real settings (the same validation as
config.toml) with the data directory and inboxes under the test's own folder;
`app` opens a fresh installation there (real SQLite, real store).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chartdesk.app import App, open_app
from chartdesk.config import Settings, from_dict
from tests.gen.fixtures import gen  # noqa: F401  (the session's generated files)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

REPO = Path(__file__).resolve().parent.parent
SHARED_TESTDATA = REPO.parent / "shared" / "testdata"
# One trained classifier for every test installation of a run (it trains on first
# use; a model from another version of the seed corpus is retrained).
TEST_MODEL = Path(tempfile.gettempdir()) / f"chartdesk-test-model-{os.getuid()}" / "classifier.pkl"
# argon2id at 1 pass over 8 MiB instead of 3 over 64 MiB keeps logins in tests
# quick; tests/access checks the default parameters on their own.
CHEAP_LOGIN = {"argon2_time_cost": 1, "argon2_memory_kib": 8192}
PASSWORD = "correct horse battery staple"


def settings_dict(root: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "paths": {"data_dir": str(root / "data")},
        "inboxes": [
            {"name": "scans", "path": str(root / "inbox" / "scans"), "source": "scan"},
            {"name": "faxes", "path": str(root / "inbox" / "faxes"), "source": "fax"},
            {"name": "dictation", "path": str(root / "inbox" / "dictation"), "source": "dictation"},
        ],
        "ingest": {"stable_seconds": 0.3, "poll_interval_seconds": 0.5},
        "pipeline": {"workers": 1, "lease_seconds": 5, "retry_backoff_seconds": 0.1},
        "classify": {"model_file": str(TEST_MODEL)},
        "access": {"login": dict(CHEAP_LOGIN)},
    }
    for name, values in sections.items():
        if name == "inboxes":
            raw["inboxes"] = values
        elif name == "access":
            values = dict(values)
            raw["access"]["login"] = {**raw["access"]["login"], **values.pop("login", {})}
            raw["access"].update(values)
        else:
            raw.setdefault(name, {}).update(values)
    return raw


def make_settings(root: Path, **sections: dict[str, Any]) -> Settings:
    return from_dict(settings_dict(root, **sections), root / "config.toml")


def add_user(app: App, username: str, role: str) -> Any:
    """A user with PASSWORD (not temporary); returns their principal."""
    from chartdesk import access

    with app.db.write() as conn:
        user = access.add_user(conn, access.SYSTEM, app.settings.access, username=username, role=role,
                               password=PASSWORD, temporary=False)
    return access.principal_for(app.settings.access, user_id=user.id, username=username, role=role, client="test")


def run_pipeline(app: App, *, timeout: float = 240.0, what: str = "the test documents") -> None:
    """Run every due stage in this process until nothing is left to do (parked
    documents count as done: a test looks at them itself)."""
    import time

    from sqlalchemy import select

    from chartdesk import pipeline
    from chartdesk.db import documents
    from chartdesk.stages import State

    deadline = time.monotonic() + timeout

    def idle() -> bool:
        with app.db.read() as conn:
            busy = conn.execute(select(documents.c.id).where(
                documents.c.stage.is_not(None), documents.c.state != State.parked).limit(1)).first()
            backlog = pipeline.index_backlog(conn)
        if time.monotonic() > deadline:
            raise TimeoutError(f"the pipeline did not finish {what} in {timeout:g} s")
        return busy is None and backlog == 0

    pipeline.work(app, until=idle)


def user_env(username: str) -> dict[str, str]:
    """Environment for a chartdesk child process acting as `username`."""
    return {**os.environ, "CHARTDESK_USER": username, "CHARTDESK_PASSWORD": PASSWORD, "OMP_THREAD_LIMIT": "1"}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(root: Path, **sections: dict[str, Any]) -> Path:
    """A real config.toml for tests that start chartdesk as a separate process."""
    raw = settings_dict(root, **sections)
    lines: list[str] = []

    def table(name: str, values: dict[str, Any]) -> None:
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items() if not isinstance(v, dict))
        for k, v in values.items():
            if isinstance(v, dict):
                table(f"{name}.{k}", v)

    for name, values in raw.items():
        if name != "inboxes":
            table(name, values)
    for inbox in raw["inboxes"]:
        lines.append("[[inboxes]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in inbox.items()]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    def factory(**sections: dict[str, Any]) -> Settings:
        return make_settings(tmp_path, **sections)

    return factory


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = open_app(settings, create=True)
    yield application
    application.close()


# A classifier trained once per session on the seed corpus (about ten seconds),
# for the classification and chart tests, which want its training report too.
@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    from chartdesk import classify

    root = tmp_path_factory.mktemp("classifier")
    model, report = classify.train(make_settings(root))
    path = root / "classifier.pkl"
    classify.save(path, model, report)
    return path, model, report


@pytest.fixture
def cls_settings(tmp_path: Path, trained: tuple[Path, Any, Any]) -> Settings:
    return make_settings(tmp_path, classify={"model_file": str(trained[0])})


@pytest.fixture
def cls_app(cls_settings: Settings) -> Iterator[App]:
    from chartdesk import audit

    application = open_app(cls_settings, create=True)
    audit.ensure_ready(cls_settings, application.db)
    yield application
    application.close()
