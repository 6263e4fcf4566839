"""Access changes waiting for the search index.

A change of label, class, chart or restriction bumps the document's
index_version (so the indexer writes it again) and notes the version in
`access_changes`; until documents.indexed_version reaches it, search excludes
the document inside the query for everyone but the records role. Other rooms
call `mark_access_change` in the transaction that makes such a change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from chartdesk.db import access_changes, documents, utcnow


def mark_access_change(conn: Connection, doc_ids: Iterable[int]) -> None:
    """Call inside the write transaction that changed the documents' access
    attributes (labels, class, patient, chart restriction)."""
    now = utcnow()
    for doc_id in sorted(set(doc_ids)):
        conn.execute(
            documents.update().where(documents.c.id == doc_id).values(index_version=documents.c.index_version + 1)
        )
        version = conn.execute(select(documents.c.index_version).where(documents.c.id == doc_id)).scalar()
        if version is None:
            continue
        updated = conn.execute(
            access_changes.update().where(access_changes.c.document_id == doc_id).values(version=version, at=now)
        ).rowcount
        if not updated:
            conn.execute(access_changes.insert().values(document_id=doc_id, version=version, at=now))


def pending_documents(conn: Connection) -> frozenset[int]:
    """Documents whose latest access change the index does not hold yet.

    Read on every search: it walks the few access changes and looks each document
    up by its key (a join let SQLite walk all documents instead: 4 ms at 100,000)."""
    indexed = select(documents.c.indexed_version).where(documents.c.id == access_changes.c.document_id)
    query = select(access_changes.c.document_id).where(access_changes.c.version > indexed.scalar_subquery())
    return frozenset(int(r) for r in conn.execute(query).scalars())


def prune_access_changes(conn: Connection) -> int:
    """Forget changes the index has caught up with (in a write transaction). The
    indexer calls it in the transaction that records a batch, so the table holds
    only what search must still exclude (and `pending_documents` stays cheap)."""
    indexed = select(documents.c.indexed_version).where(documents.c.id == access_changes.c.document_id)
    caught_up = select(access_changes.c.document_id).where(access_changes.c.version <= indexed.scalar_subquery())
    ids = [int(r) for r in conn.execute(caught_up).scalars()]
    if ids:
        conn.execute(access_changes.delete().where(access_changes.c.document_id.in_(ids)))
    return len(ids)
