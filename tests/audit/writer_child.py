"""A writer process for the concurrency test: N events, each in its own write
transaction, as fast as it can. Usage: python -m tests.audit.writer_child URL N TAG"""

from __future__ import annotations

import sys

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.db import Database


def main(url: str, count: int, tag: str) -> None:
    db = Database(url)
    principal = Principal(user_id=None, username=f"writer-{tag}", role="system", client=f"test:{tag}")
    for i in range(count):
        with db.write() as conn:
            audit.record(conn, audit.Search(principal=principal, query=f"{tag}-{i}", result_count=i))
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
