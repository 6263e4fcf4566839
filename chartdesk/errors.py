"""One hierarchy of typed errors. Each carries an exit code, an HTTP status and a
message that tells the person what to do. The CLI and the web app each have one
handler that turns them into output; nothing recognises an error by its text.

Messages never quote patient data: they name files, settings and ids.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    ok = 0
    internal_error = 1
    usage = 2  # click's own code for a malformed command line
    bad_input = 3
    config_error = 4
    not_permitted = 5
    not_found = 6
    conflict = 7
    tool_missing = 8


class ChartdeskError(Exception):
    """Base of every error chartdesk raises on purpose."""

    exit_code: ExitCode = ExitCode.internal_error
    http_status: int = 500

    def __init__(self, message: str, *, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return " ".join(_sentence(part) for part in (self.message, self.remedy) if part)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class ConfigError(ChartdeskError):
    exit_code = ExitCode.config_error
    http_status = 500


class ToolMissingError(ChartdeskError):
    """An external component (tesseract data, a model) is missing or broken."""

    exit_code = ExitCode.tool_missing
    http_status = 503


class NotFoundError(ChartdeskError):
    exit_code = ExitCode.not_found
    http_status = 404


class ConflictError(ChartdeskError):
    exit_code = ExitCode.conflict
    http_status = 409


class UsageError(ChartdeskError):
    """A request that cannot be carried out as asked (a bad query, a bad filter)."""

    exit_code = ExitCode.usage
    http_status = 400


class BadInputError(ChartdeskError):
    """A dropped file that cannot be processed. It goes to quarantine with `reason`.

    `code` is stable and machine-readable (tests and exports use it); the message is
    written for a receptionist: what is wrong with the file and what to do.
    """

    exit_code = ExitCode.bad_input
    http_status = 422
    code = "bad_input"

    def __init__(self, message: str, *, remedy: str = "", code: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        if code:
            self.code = code


class EmptyFileError(BadInputError):
    code = "empty"


class TooLargeError(BadInputError):
    code = "too_large"


class UnsupportedTypeError(BadInputError):
    code = "unsupported_type"


class UnreadableFormatError(BadInputError):
    """A format offices meet that chartdesk cannot read (e.g. DSS dictation)."""

    code = "unreadable_format"


class CorruptFileError(BadInputError):
    code = "corrupt"


class EncryptedInputError(BadInputError):
    code = "encrypted"


class DecompressionBombError(BadInputError):
    code = "too_many_pixels"


class TooManyPagesError(BadInputError):
    code = "too_many_pages"


class TooLongError(BadInputError):
    code = "too_long"


class UnsafeFileError(BadInputError):
    """A symlink, device, FIFO or a path that escapes its inbox."""

    code = "unsafe_file"


class StageError(ChartdeskError):
    """A stage failed for a reason that may pass (a timeout, a busy tool): retried, then parked."""

    exit_code = ExitCode.internal_error


class StageTimeoutError(StageError):
    pass


class LeaseLostError(ChartdeskError):
    """A worker's claim on a document expired and another worker took it over."""
