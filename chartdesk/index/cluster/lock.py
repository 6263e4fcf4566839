"""One writer per index at a time, across processes and machines: a lock
document in the `<prefix>-locks` index, taken with create-if-absent and
released or renewed with compare-and-set on its version (seq_no, primary_term),
the way tantivy's lock file works for the embedded index.

A writer that dies leaves its lock to expire after `seconds`; the next writer
takes an expired lock over with compare-and-set, so two cannot both win.
(The indexer also holds the database's index-writer lease; this lock keeps
rebuilds and stray writers honest.)
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chartdesk.errors import ConflictError
from chartdesk.index.cluster.engine import ClusterEngine
from chartdesk.index.cluster.errors import Conflict, EngineError
from chartdesk.index.cluster.retry import RetryPolicy

log = logging.getLogger(__name__)


@dataclass
class WriterLock:
    engine: ClusterEngine
    lock_index: str
    name: str  # what is locked (an alias or an index name)
    policy: RetryPolicy
    seconds: float = 120.0
    lock_body: dict[str, Any] = field(default_factory=dict)
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    _version: tuple[int, int] | None = None
    _written_at: float = 0.0

    @property
    def held(self) -> bool:
        return self._version is not None

    def age(self) -> float:
        """Seconds since the lock was taken or renewed."""
        return time.monotonic() - self._written_at

    def acquire(self) -> None:
        """Take the lock or raise ConflictError (another writer holds it)."""
        if self._version is not None:
            return
        try:
            self._version = self.policy.call("lock", self._acquire_once)
        except _Taken:
            raise _busy() from None

    def renew(self) -> None:
        """Push the expiry on during a long batch."""
        if self._version is None:
            return
        try:
            self._version = self.policy.call("lock", lambda: self._write(if_version=self._version))
        except _Taken:
            self._version = None
            raise _busy() from None

    def release(self) -> None:
        if self._version is None:
            return
        version, self._version = self._version, None
        try:
            self._delete(version)  # once: an unreleased lock expires by itself
        except _Taken:
            log.warning("search index lock %s was taken over by another writer before release", self.name)
        except EngineError as exc:
            log.warning("search index lock %s not released (%s); it expires in %.0fs", self.name, type(exc).__name__, self.seconds)

    # ------------------------------------------------------------ steps

    def _acquire_once(self) -> tuple[int, int]:
        self.engine.create_index(self.lock_index, self.lock_body)  # False when it exists
        try:
            return self._write(create=True)
        except _Taken:
            return self._take_over_expired()

    def _take_over_expired(self) -> tuple[int, int]:
        current = self.engine.get_doc(self.lock_index, self.name)
        if current is None:
            return self._write(create=True)
        if float(current.source.get("until", 0)) > time.time():
            raise _busy()
        log.warning("search index lock %s expired (its writer died?): taking it over", self.name)
        return self._write(if_version=(current.seq_no, current.primary_term))

    def _write(self, *, create: bool = False, if_version: tuple[int, int] | None = None) -> tuple[int, int]:
        body = {"owner": self.owner, "until": time.time() + self.seconds}
        try:
            version = self.engine.put_doc(self.lock_index, self.name, body, create=create, if_version=if_version)
        except Conflict:
            raise _Taken() from None
        self._written_at = time.monotonic()
        return version

    def _delete(self, version: tuple[int, int]) -> None:
        try:
            self.engine.delete_doc(self.lock_index, self.name, if_version=version)
        except Conflict:
            raise _Taken() from None


class _Taken(Exception):
    """Someone else's version of the lock document is there."""


def _busy() -> ConflictError:
    return ConflictError(
        "another process is writing the search index",
        remedy="wait for the indexer to finish its batch and try again",
    )
