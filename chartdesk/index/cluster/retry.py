"""Retries with exponential backoff and jitter, for both engines.

A call that raises errors.Unreachable (no answer, 429, 502-504) is tried again
after `backoff`, 2x`backoff`, 4x`backoff` ... (each +-25%), at most `retries`
more times; then SearchUnavailableError says what a person can do. Credentials
and certificates refused become a ConfigError; other refusals a ClusterRequestError.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from chartdesk.errors import ConfigError
from chartdesk.index.cluster.errors import (
    ClusterRequestError,
    EngineError,
    Refused,
    SearchUnavailableError,
    Unreachable,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_DELAY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 5
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        base = min(MAX_DELAY_SECONDS, self.backoff * (2**attempt))
        return base * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not security

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """fn(), retried while the cluster is unreachable or busy."""
        attempt = 0
        while True:
            try:
                return fn()
            except Unreachable as exc:
                if attempt >= self.retries:
                    raise unavailable(what, exc) from None
                wait = self.delay(attempt)
                log.warning("search cluster %s: %s; retry %d of %d in %.1fs", what, exc, attempt + 1, self.retries, wait)
                self.sleep(wait)
                attempt += 1
            except EngineError as exc:
                raise as_chartdesk_error(what, exc) from None


def unavailable(what: str, exc: EngineError) -> SearchUnavailableError:
    busy = exc.status == 429
    return SearchUnavailableError(
        f"the search cluster {'is too busy' if busy else 'cannot be reached'} ({what})",
        remedy="documents wait in the index backlog and are indexed when it answers again; "
        "check the cluster and search.cluster.urls in the config",
    )


def as_chartdesk_error(what: str, exc: EngineError) -> Exception:
    if isinstance(exc, Unreachable):
        return unavailable(what, exc)
    if isinstance(exc, Refused):
        if exc.kind == "tls":
            return ConfigError(
                "the search cluster's TLS certificate was not accepted",
                remedy="name the certificate authority that signed it in search.cluster.ca_file",
            )
        if exc.kind == "product":
            return ConfigError(
                "the server at search.cluster.urls is not the engine search.backend names",
                remedy='set search.backend to "opensearch" or "elasticsearch" to match the cluster',
            )
        return ConfigError(
            f"the search cluster refused chartdesk's credentials (HTTP {exc.status}, {what})",
            remedy="check search.cluster.username with its password, or the API key, and the user's privileges",
        )
    return ClusterRequestError(
        f"the search cluster refused a request ({what}: HTTP {exc.status} {exc.kind})",
        remedy="look at the cluster's log; chartdesk index rebuild recreates the index if it was changed by hand",
    )
