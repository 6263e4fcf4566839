"""Progress as a small Protocol: the CLI passes a rich bar, tests and scripts
pass nothing. A phase names what is being done; `advance` counts its units
(pages of the database, bytes of files)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def phase(self, name: str, total: int | None = None) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


NO_PROGRESS = NoProgress()
