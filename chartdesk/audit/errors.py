"""The audit room's typed errors."""

from __future__ import annotations

from chartdesk.errors import ChartdeskError, ExitCode


class ChainBrokenError(ChartdeskError):
    """`chartdesk audit verify` found the log altered, cut off or rewritten."""

    exit_code = ExitCode.conflict
    http_status = 409
