"""[search.cluster]: validation, and secrets read from where the config points
(an environment variable or a file), never from the config, never printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chartdesk.config import SearchBackendName, from_dict, load
from chartdesk.errors import ConfigError
from chartdesk.index.cluster import connection_from
from tests.conftest import REPO

SECRET = "s3cret-value-never-printed"


def settings_with(tmp_path: Path, **cluster: Any):  # noqa: ANN201
    raw = {
        "paths": {"data_dir": "data"},
        "inboxes": [{"name": "faxes", "path": "inbox", "source": "fax"}],
        "search": {"backend": "opensearch", "cluster": cluster},
    }
    return from_dict(raw, tmp_path / "config.toml")


def test_the_shipped_config_names_every_backend_and_valid_cluster_defaults() -> None:
    settings = load(REPO / "config.toml")
    assert {b.value for b in SearchBackendName} == {"tantivy", "opensearch", "elasticsearch"}
    assert settings.search.cluster.urls == ("http://127.0.0.1:9200",)
    assert connection_from(settings.search.cluster).basic_auth is None


def test_a_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTDESK_SEARCH_PASSWORD", SECRET)
    settings = settings_with(tmp_path, urls=["https://search.example.org:9200"], username="chartdesk",
                             password_env="CHARTDESK_SEARCH_PASSWORD")
    connection = connection_from(settings.search.cluster)
    assert connection.basic_auth == ("chartdesk", SECRET)
    assert SECRET not in repr(connection) and SECRET not in repr(settings)


def test_an_api_key_from_a_file_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "search.key").write_text(SECRET + "\n", encoding="utf-8")
    settings = settings_with(tmp_path, urls=["https://a:9200", "https://b:9200"], api_key_file="search.key")
    assert settings.search.cluster.api_key_file == tmp_path / "search.key"
    assert connection_from(settings.search.cluster).api_key == SECRET


def test_a_missing_secret_names_the_variable_not_a_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    settings = settings_with(tmp_path, urls=["https://a:9200"], username="u", password_env="NOT_SET_ANYWHERE")
    with pytest.raises(ConfigError) as missing:
        connection_from(settings.search.cluster)
    assert "NOT_SET_ANYWHERE" in str(missing.value)


def test_a_missing_ca_file_is_a_config_error(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, urls=["https://a:9200"], ca_file="ca.pem")
    assert settings.search.cluster.ca_file == tmp_path / "ca.pem"
    with pytest.raises(ConfigError, match="CA file"):
        connection_from(settings.search.cluster)


@pytest.mark.parametrize(
    ("cluster", "complaint"),
    [
        ({"urls": []}, "at least one"),
        ({"urls": ["search.example.org:9200"]}, "http(s)://"),
        ({"urls": ["https://user:pw@search.example.org:9200"]}, "holds credentials"),
        ({"urls": ["http://search.example.org:9200"], "username": "u", "password_env": "X"}, "in the clear"),
        ({"urls": ["https://a:9200"], "username": "u"}, "username goes with"),
        ({"urls": ["https://a:9200"], "password_env": "X"}, "username goes with"),
        ({"urls": ["https://a:9200"], "username": "u", "password_env": "X", "password_file": "p"}, "once"),
        ({"urls": ["https://a:9200"], "username": "u", "password_env": "X", "api_key_env": "K"}, "not both"),
        ({"index_prefix": "Bad Prefix"}, "index_prefix"),
    ],
)
def test_unsafe_or_unclear_settings_are_refused(tmp_path: Path, cluster: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        settings_with(tmp_path, **cluster)


def test_credentials_to_this_computer_over_http_are_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", SECRET)
    settings = settings_with(tmp_path, urls=["http://127.0.0.1:9200", "http://localhost:9201"], username="u", password_env="PW")
    assert connection_from(settings.search.cluster).basic_auth == ("u", SECRET)
