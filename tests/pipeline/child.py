"""Run one ingest step in a child process, so a fault point can kill it for real.

    python -m tests.pipeline.child CONFIG take PATH INBOX
    python -m tests.pipeline.child CONFIG work
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from chartdesk import config, pipeline
from chartdesk.app import open_app
from chartdesk.ingest import take


def main(argv: list[str]) -> None:
    settings = config.load(argv[0])
    app = open_app(settings)
    if argv[1] == "take":
        path, inbox = Path(argv[2]), settings.inbox(argv[3])
        print(take(app, path, inbox=inbox, remove=True).status)
    elif argv[1] == "work":
        ids = pipeline.pending_ids

        def done() -> bool:
            with app.db.read() as conn:
                from sqlalchemy import select

                from chartdesk.db import documents

                all_ids = conn.execute(select(documents.c.id)).scalars().all()
                return not ids(conn, all_ids)

        pipeline.work(app, stop=threading.Event(), until=done)
    app.close()


if __name__ == "__main__":
    main(sys.argv[1:])
