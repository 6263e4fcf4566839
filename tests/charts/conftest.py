"""A classifier trained once per session on the seed corpus (about ten seconds),
shared by every test through `classify.model_file`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chartdesk import classify
from chartdesk.app import App
from chartdesk.classify import LinearTextClassifier, TrainingReport
from chartdesk.config import Settings
from tests.classify.helpers import open_installation
from tests.conftest import make_settings


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LinearTextClassifier, TrainingReport]:
    root = tmp_path_factory.mktemp("classifier")
    settings = make_settings(root)
    model, report = classify.train(settings)
    path = root / "classifier.pkl"
    classify.save(path, model, report)
    return path, model, report


@pytest.fixture
def cls_settings(tmp_path: Path, trained: tuple[Path, LinearTextClassifier, TrainingReport]) -> Settings:
    return make_settings(tmp_path, classify={"model_file": str(trained[0])})


@pytest.fixture
def cls_app(cls_settings: Settings) -> Iterator[App]:
    app = open_installation(cls_settings)
    yield app
    app.close()
