"""What can go wrong talking to a cluster, in two layers.

The adapters (opensearch_engine, elasticsearch_engine) turn their client's
exceptions into the small `EngineError` family below, so the shared code decides
retries and messages once for both engines. What reaches the rest of chartdesk is
a typed error from chartdesk/errors.py with a remedy a person can act on:

  SearchUnavailableError  the cluster cannot be reached or stays overloaded
                          (HTTP 503 in the web UI; the indexer keeps the backlog)
  ConfigError             the cluster refuses chartdesk's credentials or certificate
  ClusterRequestError     the cluster refused a request for another reason
"""

from __future__ import annotations

from chartdesk.errors import ChartdeskError, ToolMissingError


class SearchUnavailableError(ToolMissingError):
    """The search cluster cannot be reached, or answers "too busy" after every retry."""


class ClusterRequestError(ChartdeskError):
    """The cluster refused a request (a bug or a cluster set-up problem, not the user's input)."""


# ---------------------------------------------------------------- adapter layer


class EngineError(Exception):
    """Raised by an adapter. `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, kind: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind  # the cluster's error type, e.g. "index_not_found_exception"


class Unreachable(EngineError):
    """No answer (connection refused, timeout) or a temporary refusal (429, 502-504): worth a retry."""


class NotFound(EngineError):
    """404: an index, a document or a point in time that does not exist."""


class Conflict(EngineError):
    """409: a version conflict or a document that already exists."""


class Refused(EngineError):
    """401/403: credentials or privileges."""


class Rejected(EngineError):
    """Any other error answer (400, 500 ...)."""


TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


def classify(status: int, message: str, kind: str = "") -> EngineError:
    """The EngineError for an HTTP status."""
    if status == 0 or status in TRANSIENT_STATUSES:
        return Unreachable(message, status=status, kind=kind)
    if status == 404:
        return NotFound(message, status=status, kind=kind)
    if status == 409:
        return Conflict(message, status=status, kind=kind)
    if status in (401, 403):
        return Refused(message, status=status, kind=kind)
    return Rejected(message, status=status, kind=kind)
