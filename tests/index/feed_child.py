"""Runs one indexer batch in a child process, for the crash tests.

    python -m tests.index.feed_child CONFIG WORKER_ID

The parent sets CHARTDESK_FAULTS so this process SIGKILLs itself at a fault point.
"""

from __future__ import annotations

import os
import sys

from chartdesk.app import open_app
from chartdesk.config import load
from chartdesk.index import index_pending


def main() -> None:
    config, worker = sys.argv[1], sys.argv[2]
    app = open_app(load(config))
    try:
        written = index_pending(app.db, app.settings, worker_id=worker, limit=100)
    finally:
        app.close()
    print(written)


if __name__ == "__main__":
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    main()
