"""Sensitivity labels: the rules of [access.label_rules], applied by the
pipeline's label stage after classification, and the records role's own
decisions (label_overrides), which outlive a re-run of the rules.

Every label that appears or disappears is an audited LabelChanged event, and
an access change for the search index. The stage marks the document
"labelled" in its flags: until then it is "unclassified" and visible only to
the records role.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from chartdesk import audit
from chartdesk.access.changes import mark_access_change
from chartdesk.access.facts import LABELLED_FLAG, DocumentFacts, document_facts
from chartdesk.access.principal import SYSTEM, Principal
from chartdesk.access.scope import require_document
from chartdesk.config import AccessSettings, LabelRule
from chartdesk.db import documents, label_overrides, pages, utcnow
from chartdesk.errors import NotFoundError, UsageError
from chartdesk.stages import Doc, StageContext, StageResult

ADD, REMOVE = "add", "remove"


@dataclass(frozen=True, slots=True)
class LabelInput:
    """What the rules look at."""

    doc_class: str | None
    sender: str
    inbox: str | None
    text: str


def rule_labels(rules: tuple[LabelRule, ...], item: LabelInput) -> dict[str, tuple[str, ...]]:
    """label -> names of the rules that gave it."""
    found: dict[str, list[str]] = {}
    for rule in rules:
        if _matches(rule, item):
            found.setdefault(rule.label, []).append(rule.name)
    return {label: tuple(names) for label, names in found.items()}


def _matches(rule: LabelRule, item: LabelInput) -> bool:
    if rule.classes and item.doc_class not in rule.classes:
        return False
    if rule.inboxes and item.inbox not in rule.inboxes:
        return False
    if rule.senders and not any(s.casefold() in item.sender.casefold() for s in rule.senders):
        return False
    return not rule.keywords or _keyword_pattern(rule.keywords).search(item.text) is not None


@functools.lru_cache(maxsize=256)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words or phrases, any case, any run of white space between words
    (OCR breaks phrases across lines)."""
    parts = [r"\s+".join(re.escape(w) for w in k.split()) for k in sorted(keywords, key=len, reverse=True)]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


# ── applying the rules to a stored document ────────────────────────────────


def apply_labels(conn: Connection, access: AccessSettings, doc_id: int, *, principal: Principal = SYSTEM) -> tuple[str, ...]:
    """(Re)compute a document's labels from the rules and the overrides, store
    them, mark it labelled, audit each change. Inside a write transaction.
    Other rooms call this after changing a document's class by hand."""
    row = conn.execute(
        select(documents.c.labels, documents.c.flags, documents.c.doc_class, documents.c.inbox,
               documents.c.patient_id).where(documents.c.id == doc_id)
    ).first()
    if row is None:
        raise NotFoundError(f"there is no document {doc_id}", remedy="check the number")
    flags = dict(row.flags or {})
    given = rule_labels(access.label_rules, LabelInput(row.doc_class, _sender(flags), row.inbox, _text(conn, doc_id)))
    overrides = _overrides(conn, doc_id)
    final = ({*given} | {k for k, m in overrides.items() if m == ADD}) - {k for k, m in overrides.items() if m == REMOVE}
    final &= set(access.labels)
    old = {str(label) for label in (row.labels or ())}
    conn.execute(documents.update().where(documents.c.id == doc_id).values(
        labels=sorted(final), flags={**flags, LABELLED_FLAG: True}, updated_at=utcnow()))
    for label in sorted(final ^ old):
        change = "added" if label in final else "removed"
        audit.record(conn, audit.LabelChanged(principal=principal, document_id=doc_id, patient_id=row.patient_id,
                                              label=label, change=change, source="rule", rules=given.get(label, ())))
    if final != old or not flags.get(LABELLED_FLAG):
        mark_access_change(conn, [doc_id])
    return tuple(sorted(final))


def _sender(flags: Mapping[str, Any]) -> str:
    cover = flags.get("cover_sheet")
    sender = flags.get("sender") or (cover.get("sender") if isinstance(cover, Mapping) else None)
    return str(sender or "")


def _text(conn: Connection, doc_id: int) -> str:
    rows = conn.execute(select(pages.c.text).where(pages.c.document_id == doc_id).order_by(pages.c.page_no))
    return "\n".join(t or "" for t in rows.scalars())


def _overrides(conn: Connection, doc_id: int) -> dict[str, str]:
    rows = conn.execute(select(label_overrides.c.label, label_overrides.c.mode).where(
        label_overrides.c.document_id == doc_id))
    return {r.label: r.mode for r in rows}


# ── a person's decision ─────────────────────────────────────────────────────


def set_label(conn: Connection, principal: Principal, access: AccessSettings, doc_id: int, label: str, *,
              present: bool, reason: str = "") -> DocumentFacts:
    """Add (`present`) or remove a label by hand (the records role). The
    decision is kept, so the label stage's rules do not undo it."""
    facts = require_document(conn, principal, doc_id, "label")
    if label not in access.labels:
        raise UsageError(f"there is no label {label!r}", remedy="use one of: " + ", ".join(access.labels))
    mode = ADD if present else REMOVE
    now = utcnow()
    updated = conn.execute(label_overrides.update().where(
        label_overrides.c.document_id == doc_id, label_overrides.c.label == label).values(
        mode=mode, actor_id=principal.user_id, at=now)).rowcount
    if not updated:
        conn.execute(label_overrides.insert().values(document_id=doc_id, label=label, mode=mode,
                                                     actor_id=principal.user_id, at=now))
    labels = (facts.labels | {label}) if present else (facts.labels - {label})
    conn.execute(documents.update().where(documents.c.id == doc_id).values(labels=sorted(labels), updated_at=now))
    audit.record(conn, audit.LabelChanged(principal=principal, document_id=doc_id, patient_id=facts.patient_id,
                                          label=label, change="added" if present else "removed", source="person",
                                          reason=reason))
    mark_access_change(conn, [doc_id])
    refreshed = document_facts(conn, doc_id)
    assert refreshed is not None
    return refreshed


# ── the pipeline stage ─────────────────────────────────────────────────────


class LabelStage:
    """Stage "label": runs after classification (a document without a class is
    not labelled). The rules need the document's text, so they run in the
    stage's commit transaction (`record`), reading what earlier stages stored."""

    name = "label"

    def applies(self, doc: Doc, ctx: StageContext) -> bool:
        return doc.doc_class is not None

    def run(self, doc: Doc, ctx: StageContext) -> StageResult:
        access = ctx.settings.access
        return StageResult(
            state=doc.state,
            summary={"engine": "label-rules", "rules": len(access.label_rules)},
            record=functools.partial(_record_labels, access=access, doc_id=doc.id),
        )


def _record_labels(conn: Connection, *, access: AccessSettings, doc_id: int) -> None:
    apply_labels(conn, access, doc_id)


label_stage = LabelStage()
