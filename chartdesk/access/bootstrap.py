"""The first administrator of a new installation (called by `chartdesk init`)."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from chartdesk import audit
from chartdesk.access.accounts import add_user, count_users
from chartdesk.access.passwords import generate_password
from chartdesk.access.principal import SYSTEM
from chartdesk.app import App

log = logging.getLogger(__name__)

FIRST_ADMIN = "admin"
PASSWORD_FILE = "initial-admin-password.txt"


def ensure_first_admin(app: App) -> Path | None:
    """Set up the audit log and, when there is no user yet, create "admin" with
    a random temporary password written to <data_dir>/initial-admin-password.txt
    (0600). Returns that file's path, or None when users already exist. There
    is never a fixed default password."""
    audit.ensure_ready(app.settings, app.db)
    path = app.settings.data_dir / PASSWORD_FILE
    password = generate_password()
    actor = dataclasses.replace(SYSTEM, client="cli:init")
    with app.db.write() as conn:
        if count_users(conn) > 0:
            return None
        _write_new_private(path, password)
        add_user(conn, actor, app.settings.access, username=FIRST_ADMIN, role="admin", password=password,
                 display_name="first administrator", temporary=True)
    log.info("created the first administrator account")
    return path


def _write_new_private(path: Path, password: str) -> None:
    path.unlink(missing_ok=True)  # a leftover from an init that did not commit
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(
            f"user: {FIRST_ADMIN}\npassword: {password}\n\n"
            f"Log in with `chartdesk --user {FIRST_ADMIN} users passwd` to choose your own password,\n"
            "then delete this file.\n"
        )
        f.flush()
        os.fsync(f.fileno())
