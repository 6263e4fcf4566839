"""[search.cluster] settings resolved into what a client needs, secrets included.

Secrets are read here, when a connection is made, from the environment variable
or file the config names (never from the config itself), and never logged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from chartdesk.config import ClusterSettings
from chartdesk.errors import ConfigError


@dataclass(frozen=True)
class Connection:
    urls: tuple[str, ...]
    connect_timeout: float
    request_timeout: float
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    ca_file: Path | None = None


def connection_from(settings: ClusterSettings) -> Connection:
    """The connection the settings describe, with its secret read now."""
    if settings.ca_file is not None and not settings.ca_file.is_file():
        raise ConfigError(
            f"the CA file {settings.ca_file} does not exist",
            remedy="fix search.cluster.ca_file, or empty it to trust the system's authorities",
        )
    password = _secret(settings.password_env, settings.password_file, "password")
    api_key = _secret(settings.api_key_env, settings.api_key_file, "api_key")
    return Connection(
        urls=settings.urls,
        connect_timeout=settings.connect_timeout_seconds,
        request_timeout=settings.request_timeout_seconds,
        basic_auth=(settings.username, password) if settings.username and password is not None else None,
        api_key=api_key,
        ca_file=settings.ca_file,
    )


def _secret(env: str, file: Path | None, what: str) -> str | None:
    if env:
        value = os.environ.get(env, "")
        if not value:
            raise ConfigError(
                f"the environment variable {env} named by search.cluster.{what}_env is not set",
                remedy=f"set {env} for chartdesk's service, or name a file in search.cluster.{what}_file",
            )
        return value
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(
                f"cannot read {file} named by search.cluster.{what}_file ({exc.strerror})",
                remedy="make it readable by chartdesk's service account (and nobody else)",
            ) from None
        if not lines or not lines[0].strip():
            raise ConfigError(f"{file} named by search.cluster.{what}_file is empty", remedy=f"write the {what} on its first line")
        return lines[0].strip()
    return None
