"""Login tokens for scripts: a random secret in a 0600 file in the user's home.

`chartdesk --user NAME users token` logs in with the password once and writes
~/.config/chartdesk/token-<install> (or $CHARTDESK_TOKEN_DIR/token-<install>);
<install> is derived from the data directory, so several installations on one
machine keep separate tokens. The database keeps only a SHA-256 of the secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from chartdesk import audit
from chartdesk.access.accounts import revoke_tokens
from chartdesk.access.errors import LoginRequiredError, NotPermittedError
from chartdesk.access.principal import Principal
from chartdesk.config import AccessSettings, Settings
from chartdesk.db import user_tokens, utcnow

TOKEN_DIR_ENV = "CHARTDESK_TOKEN_DIR"


@dataclass(frozen=True)
class TokenFile:
    username: str
    token: str


def install_id(settings: Settings) -> str:
    return hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:12]


def token_path(settings: Settings, environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get(TOKEN_DIR_ENV):
        base = Path(environ[TOKEN_DIR_ENV])
    elif environ.get("XDG_CONFIG_HOME"):
        base = Path(environ["XDG_CONFIG_HOME"]) / "chartdesk"
    else:
        base = Path(environ.get("HOME") or Path.home()) / ".config" / "chartdesk"
    return base / f"token-{install_id(settings)}"


def issue_token(conn: Connection, actor: Principal, access: AccessSettings, path: Path) -> dt.datetime:
    """Replace the actor's tokens with a new one and write it to `path` (0600)."""
    if actor.user_id is None:
        raise NotPermittedError("only a user can have a login token", remedy="log in with --user NAME")
    revoke_tokens(conn, actor.user_id)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + dt.timedelta(days=access.login.token_days)
    conn.execute(user_tokens.insert().values(
        user_id=actor.user_id, token_hash=hashlib.sha256(secret.encode()).hexdigest(),
        created_at=now, expires_at=expires))
    audit.record(conn, audit.UserChanged(principal=actor, target=actor.username, target_id=actor.user_id,
                                         change="token_issued"))
    _write_private(path, json.dumps({"user": actor.username, "token": secret}))
    return expires


def revoke_own_tokens(conn: Connection, actor: Principal, path: Path) -> int:
    if actor.user_id is None:
        return 0
    count = revoke_tokens(conn, actor.user_id)
    audit.record(conn, audit.UserChanged(principal=actor, target=actor.username, target_id=actor.user_id,
                                         change="token_revoked"))
    path.unlink(missing_ok=True)
    return count


def read_token_file(path: Path) -> TokenFile | None:
    """The token in `path`, or None when there is none. A token file others can
    read is refused (like ssh refuses a private key with loose permissions)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    if info.st_uid != os.geteuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise LoginRequiredError(
            f"the token file {path} can be read by other accounts",
            remedy=f"remove it and create a new one (`chartdesk --user NAME users token`), or chmod 600 {path}",
        )
    try:
        data = json.loads(path.read_text())
        return TokenFile(str(data["user"]), str(data["token"]))
    except (ValueError, KeyError, TypeError):
        raise LoginRequiredError(
            f"the token file {path} is damaged", remedy="create a new one with `chartdesk --user NAME users token`"
        ) from None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
