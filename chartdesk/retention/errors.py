"""The retention room's typed errors."""

from __future__ import annotations

from chartdesk.access import NotPermittedError
from chartdesk.errors import ConflictError


class HoldReleasedError(ConflictError):
    """The legal hold was released already."""


class PlanChangedError(ConflictError):
    """The disposition plan is not the one that was shown or approved."""


class NotApprovedError(NotPermittedError):
    """Applying a plan nobody else approved (or whose approval expired)."""


class DisposalIncompleteError(ConflictError):
    """A step of disposal could not finish now (e.g. the search index is busy); the run resumes later."""
