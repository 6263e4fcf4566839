"""The one policy. Two questions, one set of rules:

  may(principal, action, resource)  for one object (a document, a chart, or
                                    nothing for actions on the system)
  visible_filter(principal, ...)    for the search backends, applied inside
                                    their query

A document is visible (action "view") when the role has the permission, the
document is *reachable* (filed, or the role works the review queue; its class
among the role's classes) and it is *unrestricted* for the role (no label
outside the role's labels; its chart not restricted unless the role sees
restricted charts) or the user holds a break-the-glass grant for it. It
appears in search (action "search") when it is visible and, for roles
without the review permission, no access change to it is waiting for the
index. tests/access/test_policy_property.py proves the two answers agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from chartdesk.access.errors import NotPermittedError
from chartdesk.access.facts import FILED, DocumentFacts, PatientFacts
from chartdesk.access.principal import Principal, Rights
from chartdesk.index import DocIds, Filter, MatchAll, MatchNone, Not, all_of, any_of, term

Resource = DocumentFacts | PatientFacts | None

# Actions on one document: the permission and the document's visibility.
DOCUMENT_ACTIONS = frozenset({"view", "search", "download", "export", "reclassify", "file", "label", "disclose"})


@dataclass(frozen=True, slots=True)
class Grants:
    """A user's unexpired break-the-glass grants: single documents and whole charts."""

    document_ids: frozenset[int] = frozenset()
    patient_ids: frozenset[int] = frozenset()


NO_GRANTS = Grants()


def may(principal: Principal, action: str, resource: Resource = None) -> bool:
    """May `principal` do `action` (a Permission name) on `resource`?"""
    rights = principal.rights
    if rights.system:
        return True
    permission = "view" if action == "search" and isinstance(resource, DocumentFacts) else action
    if not rights.has(permission):
        return False
    if isinstance(resource, DocumentFacts):
        return _may_document(principal, action, resource)
    return True


def _may_document(principal: Principal, action: str, doc: DocumentFacts) -> bool:
    rights = principal.rights
    if not _reachable(rights, doc):
        return False
    if action == "break_glass":
        return True
    if action == "search" and doc.pending and not rights.has("review"):
        return False
    return not _restricted(rights, doc) or _granted(principal, doc)


def _reachable(rights: Rights, doc: DocumentFacts) -> bool:
    if doc.status != FILED and not rights.has("review"):
        return False
    return rights.all_classes or (doc.doc_class is not None and doc.doc_class in rights.classes)


def _restricted(rights: Rights, doc: DocumentFacts) -> bool:
    if doc.chart_restricted and not rights.restricted_charts:
        return True
    return bool(doc.labels & rights.forbidden_labels)


def _granted(principal: Principal, doc: DocumentFacts) -> bool:
    return principal.user_id is not None and principal.rights.has("break_glass") and principal.user_id in doc.granted_to


def is_restricted_for(principal: Principal, doc: DocumentFacts) -> bool:
    """True when the document is reachable but hidden by its labels or chart
    (what break-the-glass opens, and what "N restricted documents" counts)."""
    rights = principal.rights
    return not rights.system and _reachable(rights, doc) and _restricted(rights, doc)


def opened_by_grant(principal: Principal, doc: DocumentFacts) -> bool:
    """True when the principal sees the document only through break-the-glass
    (the audit event of the view is then flagged break_glass)."""
    return is_restricted_for(principal, doc) and _granted(principal, doc)


def require(principal: Principal, action: str, resource: Resource = None) -> None:
    """Raise NotPermittedError unless `may`. For single documents use
    `require_document`, which answers a hidden document as a missing one."""
    if not may(principal, action, resource):
        raise NotPermittedError(
            f"your role ({principal.role or 'none'}) does not allow this ({action})",
            remedy="ask an administrator if your work needs it",
        )


def visible_filter(
    principal: Principal, *, grants: Grants = NO_GRANTS, pending: frozenset[int] = frozenset()
) -> Filter:
    """The documents `principal` may find in search, as a filter every backend
    applies inside its query. `grants` are the principal's break-the-glass
    grants and `pending` the documents with an access change not yet indexed
    (`search_scope(conn, principal)` reads both from the database)."""
    rights = principal.rights
    if rights.system:
        return MatchAll()
    if not rights.has("view"):
        return MatchNone()
    review = rights.has("review")
    return all_of(
        MatchAll() if review else term("status", FILED),
        _class_filter(rights),
        any_of(_unrestricted_filter(rights), _grant_filter(principal, grants)),
        Not(DocIds(frozenset(pending))) if pending and not review else MatchAll(),
    )


def _class_filter(rights: Rights) -> Filter:
    if rights.all_classes:
        return MatchAll()
    return term("doc_class", *sorted(rights.classes)) if rights.classes else MatchNone()


def _unrestricted_filter(rights: Rights) -> Filter:
    forbidden = rights.forbidden_labels
    return all_of(
        MatchAll() if rights.restricted_charts else Not(term("chart", "restricted")),
        Not(term("labels", *sorted(forbidden))) if forbidden else MatchAll(),
    )


def _grant_filter(principal: Principal, grants: Grants) -> Filter:
    if principal.user_id is None or not principal.rights.has("break_glass"):
        return MatchNone()
    return any_of(
        DocIds(grants.document_ids) if grants.document_ids else MatchNone(),
        term("patient", *(str(p) for p in sorted(grants.patient_ids))) if grants.patient_ids else MatchNone(),
    )
