"""config.toml -> settings: relative paths, validation a person can act on, and
several installations side by side."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chartdesk import config
from chartdesk.app import check_local_filesystem, filesystem_type
from chartdesk.errors import ConfigError
from tests.conftest import REPO


def test_the_shipped_config_loads_and_its_paths_resolve_against_its_folder() -> None:
    settings = config.load(REPO / "config.toml")
    assert settings.data_dir == REPO / "var" / "data"
    assert [i.name for i in settings.inboxes] == ["scans", "faxes", "dictation"]
    assert settings.inbox("faxes").path == REPO / "var" / "inbox" / "faxes"
    assert settings.search.backend.value == "tantivy"


def test_relative_paths_follow_the_config_file_not_the_working_directory(tmp_path: Path) -> None:
    site = tmp_path / "clinic-b"
    site.mkdir()
    (site / "config.toml").write_text(
        '[paths]\ndata_dir = "data"\n[[inboxes]]\nname = "scans"\npath = "in/scans"\nsource = "scan"\n'
    )
    settings = config.load(site / "config.toml")
    assert settings.data_dir == site / "data"
    assert settings.inbox("scans").path == site / "in" / "scans"


def test_config_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "other.toml").write_text(
        '[paths]\ndata_dir = "d"\n[[inboxes]]\nname = "scans"\npath = "i"\nsource = "scan"\n'
    )
    monkeypatch.setenv(config.CONFIG_ENV, str(tmp_path / "other.toml"))  # the documented variable, not a patch
    assert config.load().data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[paths]\ndata_dir = 'd'\n[[inboxes]]\nname='s'\npath='d/in'\nsource='scan'\n", "overlap"),
        ("[paths]\ndata_dir = 'd'\n[[inboxes]]\nname='s'\npath='i'\nsource='telepathy'\n", "inboxes.0.source"),
        ("[paths]\ndata_dir = 'd'\n[[inboxes]]\nname='s'\npath='i'\nsource='scan'\n[ocr]\nlanguages=[]\n", "ocr.languages"),
        ("[paths]\ndata_dir = 'd'\n[[inboxes]]\nname='s'\npath='i'\nsource='scan'\n[pipeline]\nworkres=2\n", "workres"),
        ("[paths\ndata_dir = 'd'\n", "not valid TOML"),
    ],
)
def test_a_bad_config_names_the_setting(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "config.toml")
    assert words in str(info.value)


def test_a_missing_config_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--config"):
        config.load(tmp_path / "nowhere.toml")


def test_the_cli_exits_with_the_configuration_code(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(tmp_path / "none.toml"), "status"],
                          cwd=REPO, capture_output=True, text=True, env={**os.environ}, check=False)
    assert done.returncode == 4
    assert "config file" in done.stderr.lower() and "Traceback" not in done.stderr


def test_a_local_data_directory_is_accepted(tmp_path: Path) -> None:
    assert filesystem_type(tmp_path) != ""
    check_local_filesystem(tmp_path)  # raises on nfs, cifs, sshfs...
