"""Logging: ids, never patient data.

Modules log with `log = logging.getLogger(__name__)` and %-style arguments that
name documents by id, pages by number and jobs by worker; never file names,
text, names or dates of birth. Only entry points call `configure_logging`.
"""

from __future__ import annotations

import contextvars
import logging
import sys

current_doc: contextvars.ContextVar[int | None] = contextvars.ContextVar("chartdesk_doc", default=None)


class DocumentIdFilter(logging.Filter):
    """Adds `doc` (the document being worked on, or '-') to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        doc = current_doc.get()
        record.doc = f"doc={doc}" if doc is not None else "-"
        return True


def configure_logging(verbose: int = 0, *, stream: object = None) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.addFilter(DocumentIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(processName)s %(doc)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("watchdog", "pdfminer", "PIL", "faster_whisper", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
