"""Fixtures for the access tests: an installation with cheap password hashing
(argon2id at 1 pass over 8 MiB instead of 3 over 64 MiB, so a test suite of
logins stays quick; the default parameters have a test of their own), the
audit log set up, and helpers to add users and documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chartdesk import access, audit
from chartdesk.app import App, open_app
from chartdesk.config import Settings
from tests.conftest import make_settings

CHEAP_LOGIN = {"argon2_time_cost": 1, "argon2_memory_kib": 8192}
PASSWORD = "correct horse battery staple"


def access_settings(root: Path, **sections: dict[str, Any]) -> Settings:
    access_section = {"login": dict(CHEAP_LOGIN), **sections.pop("access", {})}
    return make_settings(root, access=access_section, **sections)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return access_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = open_app(settings, create=True)
    audit.ensure_ready(settings, application.db)
    yield application
    application.close()


@pytest.fixture
def add_user(app: App) -> Callable[..., access.Principal]:
    """Add a user with PASSWORD (not temporary); returns their principal."""

    def add(username: str, role: str, *, temporary: bool = False) -> access.Principal:
        with app.db.write() as conn:
            user = access.add_user(conn, access.SYSTEM, app.settings.access, username=username, role=role,
                                   password=PASSWORD, temporary=temporary)
        return access.principal_for(app.settings.access, user_id=user.id, username=username, role=role,
                                    client="test")

    return add
