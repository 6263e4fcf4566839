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


def insert_patient(conn: Any, *, mrn: str, restricted: bool = False) -> int:
    from chartdesk.db import patients, utcnow

    now = utcnow()
    return int(conn.execute(patients.insert().values(
        mrn=mrn, family_name="Test", given_name="Patient", restricted=int(restricted), created_at=now,
        updated_at=now)).inserted_primary_key[0])


def insert_document(
    conn: Any, *, doc_class: str | None = "progress_note", labels: tuple[str, ...] = (), state: str = "indexed",
    patient_id: int | None = None, text: str = "", inbox: str | None = "scans", flags: dict[str, Any] | None = None,
    labelled: bool = True, indexed: bool = True,
) -> int:
    """A document row as the pipeline leaves it (and its one page of text)."""
    import hashlib

    from chartdesk.db import documents, pages, utcnow

    now = utcnow()
    flags = {**(flags or {}), **({"labelled": True} if labelled else {})}
    doc_id = int(conn.execute(documents.insert().values(
        sha256=hashlib.sha256(text.encode() + str(now).encode()).hexdigest(), size_bytes=len(text) or 1,
        media_type="application/pdf", kind="pdf", original_name="scan.pdf", source="scan", inbox=inbox,
        received_at=now, state=state, stage=None, attempts=0, generation=1, flags=flags, doc_class=doc_class,
        patient_id=patient_id, labels=list(labels), index_version=1, indexed_version=1 if indexed else 0,
        updated_at=now)).inserted_primary_key[0])
    conn.execute(pages.insert().values(document_id=doc_id, page_no=1, text=text, method="text_layer"))
    return doc_id
