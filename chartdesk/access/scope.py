"""The policy applied to live data: a search's scope and the guard for one document."""

from __future__ import annotations

from sqlalchemy import Connection

from chartdesk.access.changes import pending_documents
from chartdesk.access.errors import DocumentNotFoundError
from chartdesk.access.facts import DocumentFacts, document_facts
from chartdesk.access.grants import active_grants
from chartdesk.access.policy import may, require, visible_filter
from chartdesk.access.principal import Principal
from chartdesk.index import Filter


def search_scope(conn: Connection, principal: Principal) -> Filter:
    """`visible_filter` with the principal's grants and the pending access
    changes read now: pass it as `visible=` to SearchIndex.search."""
    return visible_filter(principal, grants=active_grants(conn, principal), pending=pending_documents(conn))


def require_document(conn: Connection, principal: Principal, doc_id: int, action: str = "view") -> DocumentFacts:
    """The document's facts when `principal` may do `action` on it. A document
    that does not exist and one the user may not see raise the same
    DocumentNotFoundError (same message, same queries); a document the user
    sees but may not change this way raises NotPermittedError."""
    facts = document_facts(conn, doc_id)
    visible = facts is not None and may(principal, "view", facts)
    if not visible:
        raise DocumentNotFoundError(doc_id, audit_outcome="not_found" if facts is None else "denied")
    assert facts is not None
    require(principal, action, facts)
    return facts
