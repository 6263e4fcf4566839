"""An office with records to back up, built once per session by the real
`chartdesk ingest` (born-digital PDFs, and an empty file that goes to
quarantine) whose first pages a clerk has viewed (so their images were drawn),
and a runner for the CLI in this process.

Tests never change the office's documents; each takes its backups into its own
folder, so a test that damages a backup damages only its own. A backup
passphrase is set ($CHARTDESK_BACKUP_PASSPHRASE), so backups go to encrypted
locations as an office's do; tests of the unencrypted format pass --unencrypted.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import access, backup, config, index, records
from chartdesk.app import App, open_app
from chartdesk.cli import main
from chartdesk.config import Settings
from chartdesk.db import documents, users
from tests.conftest import PASSWORD, REPO, add_user, user_env, write_config
from tests.gen import Document, born_digital_pdf, make_document

KINDS = ("lab_result", "referral_letter", "progress_note", "imaging_report", "discharge_summary")
PASSPHRASE = "correct horse battery staple, for the tests"
Runner = Callable[..., tuple[int, str, str]]


@dataclass(frozen=True)
class Office:
    cfg: Path
    root: Path
    docs: tuple[Document, ...]

    @property
    def settings(self) -> Settings:
        return config.load(self.cfg)

    def open(self) -> App:
        return open_app(self.settings)


def relative_config(root: Path, **sections: dict) -> Path:
    """A config whose paths are relative to its folder (as an office writes it),
    so the backup's copy works unchanged on another machine."""
    root.mkdir(parents=True, exist_ok=True)
    cfg = write_config(root, **sections)
    cfg.write_text(cfg.read_text().replace(f'"{root}/', '"'))
    return cfg


def new_office(root: Path, *, users: tuple[tuple[str, str], ...] = (("it", "admin"), ("rita", "records")),
               **sections: dict) -> Path:
    cfg = relative_config(root, **sections)
    app = open_app(config.load(cfg), create=True)
    for name, role in users:
        add_user(app, name, role)
    app.close()
    return cfg


def chartdesk(cfg: Path, *args: str, user: str = "it", **env: str) -> subprocess.CompletedProcess[str]:
    env = {**user_env(user), backup.PASSPHRASE_ENV: PASSPHRASE, **env}
    return subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(cfg), *args], cwd=REPO,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="session")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    root = tmp_path_factory.mktemp("office")
    cfg = new_office(root)
    drop = root / "drop"
    drop.mkdir()
    docs = tuple(make_document(kind, 300 + i) for i, kind in enumerate(KINDS))
    files = [born_digital_pdf(doc, drop / f"letter-{i}.pdf").path for i, doc in enumerate(docs)]
    (drop / "blank.pdf").write_bytes(b"")  # rejected: goes to quarantine with its reason
    done = chartdesk(cfg, "ingest", *map(str, files), str(drop / "blank.pdf"), user="rita")
    assert done.returncode == 3, done.stderr  # 3: one file was rejected (the blank one)
    view_first_pages(config.load(cfg), "rita")
    return Office(cfg, root, docs)


def view_first_pages(settings: Settings, username: str) -> None:
    """A clerk opens page 1 of each document: a born-digital page's image is drawn
    on its first view, so the office has page images to back up."""
    app = open_app(settings)
    try:
        with app.db.read() as conn:
            user = conn.execute(select(users.c.id, users.c.role).where(users.c.username == username)).one()
            ids = conn.execute(select(documents.c.id).where(documents.c.state != "rejected")).scalars().all()
        clerk = access.principal_for(settings.access, user_id=user.id, username=username, role=user.role,
                                     client="test")
        for doc_id in ids:
            assert records.reading.page_image(app, clerk, doc_id, 1).is_file()
    finally:
        app.close()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """`run(cfg, "backup", "create", dest, user="it")` -> (exit code, stdout, stderr).
    The backup passphrase is in the environment for the whole test."""
    for name in ("CHARTDESK_USER", "CHARTDESK_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(backup.PASSPHRASE_ENV, PASSPHRASE)

    def invoke(cfg: Path, *args: str, user: str | None = "it", password: str = PASSWORD) -> tuple[int, str, str]:
        capsys.readouterr()
        argv = ["--config", str(cfg), *(["--user", user] if user else []), *args]
        with monkeypatch.context() as m:
            m.setenv("CHARTDESK_PASSWORD", password)
            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def search_ids(settings: Settings, query: str) -> set[int]:
    """Document ids the search index finds for `query` (everything visible)."""
    idx = index.open_index(settings, writer=False)
    try:
        return set(idx.search(query, visible=index.MATCH_ALL, limit=200).doc_ids)
    finally:
        idx.close()


def document_hashes(app: App) -> dict[int, str]:
    with app.db.read() as conn:
        return {r.id: r.sha256 for r in conn.execute(select(documents.c.id, documents.c.sha256, documents.c.state))
                if r.state not in ("rejected", "destroyed")}
