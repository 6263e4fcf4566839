"""The access room's typed errors (exit code 5, "not permitted")."""

from __future__ import annotations

from chartdesk.errors import ChartdeskError, ExitCode, NotFoundError


class NotPermittedError(ChartdeskError):
    """The user is known but their role does not allow this."""

    exit_code = ExitCode.not_permitted
    http_status = 403


class LoginRequiredError(ChartdeskError):
    """No user, or the user could not be logged in."""

    exit_code = ExitCode.not_permitted
    http_status = 401


class AuthenticationError(LoginRequiredError):
    """Wrong user name or password, a disabled or locked account, a bad token."""


class DocumentNotFoundError(NotFoundError):
    """Raised alike for a missing document and one the user may not see.

    `audit_outcome` ("not_found" or "denied") is for the audit event only; it is
    never shown, so the answer does not tell the two apart.
    """

    def __init__(self, doc_id: int, *, audit_outcome: str) -> None:
        super().__init__(
            f"there is no document {doc_id} that you can open",
            remedy="check the number; ask the records team if you need a document you cannot see",
        )
        self.audit_outcome = audit_outcome
