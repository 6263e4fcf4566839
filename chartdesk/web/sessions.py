"""Web sessions: an opaque random token in a cookie, the session in memory.

Only a SHA-256 of the token is kept, so a memory dump does not hand out live
cookies. A session ends after `idle` seconds without a request or `lifetime`
seconds after login, whichever comes first; logging in always makes a new token
(an id planted before login is never promoted: no session fixation). Each
session carries its own CSRF token.

The store lives in the web process: restarting chartdesk logs everyone out,
which is the safe direction. `clock` is a seam for the timeout tests (hours of
idleness cannot be waited for in a test).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

TOKEN_BYTES = 32


@dataclass
class Session:
    key: str  # SHA-256 of the cookie's token
    user_id: int
    csrf: str
    created: float
    last_seen: float
    must_change_password: bool = False


@dataclass(frozen=True)
class Lookup:
    """A cookie's session, or why there is none ("", "idle", "max_age") and whose it was."""

    session: Session | None
    ended: str = ""
    user_id: int | None = None


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class SessionStore:
    """Thread-safe; uvicorn's worker threads share one store."""

    def __init__(
        self,
        *,
        idle_seconds: float,
        lifetime_seconds: float,
        max_sessions: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.lifetime_seconds = lifetime_seconds
        self.max_sessions = max_sessions
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def create(self, user_id: int, *, must_change_password: bool = False) -> tuple[str, Session]:
        """A new session with a fresh token (returned once, never stored)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self.clock()
        session = Session(token_key(token), user_id, secrets.token_urlsafe(TOKEN_BYTES), now, now,
                          must_change_password)
        with self._lock:
            self._sessions[session.key] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return token, session

    def lookup(self, token: str | None) -> Lookup:
        """The live session for a cookie's token; touching it restarts the idle clock."""
        if not token:
            return Lookup(None)
        key = token_key(token)
        now = self.clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return Lookup(None)
            ended = self._expiry(session, now)
            if ended:
                del self._sessions[key]
                return Lookup(None, ended, session.user_id)
            session.last_seen = now
            self._sessions.move_to_end(key)
            return Lookup(session)

    def _expiry(self, session: Session, now: float) -> str:
        if now - session.created >= self.lifetime_seconds:
            return "max_age"
        if now - session.last_seen >= self.idle_seconds:
            return "idle"
        return ""

    def end(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            return self._sessions.pop(token_key(token), None)

    def end_user(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of a user (password reset, disabled), except `keep`'s key."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.user_id == user_id and k != keep]
            for key in keys:
                del self._sessions[key]
        return len(keys)

    def password_changed(self, session: Session) -> None:
        with self._lock:
            session.must_change_password = False

    def sweep(self) -> list[tuple[Session, str]]:
        """Remove expired sessions; returns them with the reason (for the audit log)."""
        now = self.clock()
        with self._lock:
            gone = [(s, r) for s in list(self._sessions.values()) if (r := self._expiry(s, now))]
            for session, _ in gone:
                del self._sessions[session.key]
        return gone

    def __len__(self) -> int:
        return len(self._sessions)
