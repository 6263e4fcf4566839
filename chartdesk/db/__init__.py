"""The database room: schema, engine, short transactions.

SQLite (WAL) by default; the SQL is portable so PostgreSQL is a URL away.
"""

from chartdesk.db.schema import (
    UTCDateTime,
    document_events,
    documents,
    leases,
    meta,
    metadata,
    pages,
    patients,
    stage_results,
    # charts/ and classify/
    chart_moves,
    class_corrections,
    classifications,
    document_identifiers,
    encounters,
    match_candidates,
    patient_identifiers,
    patient_merges,
    patient_names,
    review_decisions,
    review_items,
)
from chartdesk.db.session import Database, bump_counter, checkpoint, get_meta, set_meta, utcnow

__all__ = [
    "Database",
    "UTCDateTime",
    "bump_counter",
    "checkpoint",
    "document_events",
    "documents",
    "get_meta",
    "leases",
    "meta",
    "metadata",
    "pages",
    "patients",
    "set_meta",
    "stage_results",
    "chart_moves",
    "class_corrections",
    "classifications",
    "document_identifiers",
    "encounters",
    "match_candidates",
    "patient_identifiers",
    "patient_merges",
    "patient_names",
    "review_decisions",
    "review_items",
    "utcnow",
]
