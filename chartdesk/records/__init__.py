"""The records service: reading and working records as a principal, audited.

What the web pages and the CLI call. Every function asks the access policy and
writes its audit event (also for a refused or missing document) before
anything is shown; nothing here knows about HTTP or the terminal.

- `reading`: search, documents, page images, originals, charts.
- `queue`: the review queue's pages (candidates, evidence, decisions).
- `compliance`: audit queries, disclosures, break-the-glass reviews.
- `release`: release of information as one PDF, entered in the register.
- `dictation`: confirming or correcting a dictation's transcript.
- `operations`: pipeline status and retrying parked documents.
"""

from chartdesk.records import compliance, dictation, operations, queue, reading, release

__all__ = ["compliance", "dictation", "operations", "queue", "reading", "release"]
