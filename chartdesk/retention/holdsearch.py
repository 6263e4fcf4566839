"""A saved search, evaluated against the database for a legal hold.

A hold's search is typed in the search grammar (chartdesk.index.parse_query)
but never answered by the search index, which may lag behind the database: it
is evaluated here on each document's text, patient names, dates and fields as
the database holds them at that moment.

The evaluation is deliberately wider than the search box: a hold must keep at
least every document the same search would show, so a word also matches longer
words sharing its stem-sized start, OCR-confused forms and one-letter typos,
phrases match their words in any order, and synonyms are expanded. Under a NOT
the sense flips: the excluded part is matched narrowly (exact words only), so
a NOT never releases more than the search would.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, or_, select

from chartdesk import index
from chartdesk.access import document_status
from chartdesk.config import Settings
from chartdesk.db import documents, pages, patient_names, patients

STEM_KEEP = 4  # a word of n letters also matches words starting with its first max(4, n - 3) letters
FUZZY_MIN = 5  # words this long also match one-letter typos


@dataclass(frozen=True)
class DocView:
    """One document as a hold's search reads it from the database."""

    tokens: frozenset[str]
    dates: frozenset[dt.date]
    fields: dict[str, object]

    @functools.cached_property
    def folded(self) -> frozenset[str]:
        """The tokens with OCR confusions folded (computed when a word first needs them)."""
        return frozenset(index.ocr_fold(t) for t in self.tokens)


def compile_query(text: str, settings: Settings) -> index.QueryNode:
    """Parse (UsageError when it cannot be searched) and expand synonyms, as search does."""
    tree = index.parse_query(text)
    return index.expand_synonyms(tree, index.load_synonyms(settings.search.synonyms_file))


def matching(conn: Connection, settings: Settings, query: str, doc_ids: Sequence[int]) -> set[int]:
    """The ids among `doc_ids` that the saved search `query` finds in the database."""
    tree = compile_query(query, settings)
    views = load_views(conn, doc_ids)
    return {doc_id for doc_id, view in views.items() if evaluate(tree, view, wide=True)}


def evaluate(node: index.QueryNode, view: DocView, *, wide: bool) -> bool:
    match node:
        case index.MatchEverything():
            return True
        case index.Word(text=text, initial=initial):
            return initial or _words(text, view, wide=wide)
        case index.Phrase(text=text):
            return _words(text, view, wide=wide)
        case index.Prefix(text=text):
            starts = index.simple_tokens(text)
            return bool(starts) and all(any(t.startswith(s) for t in view.tokens) for s in starts)
        case index.DateTerm(value=value):
            return value in view.dates
        case index.FieldFilter(filter=f):
            return index.evaluate(f, view.fields)
        case index.QueryAnd(parts=parts):
            return all(evaluate(p, view, wide=wide) for p in parts)
        case index.QueryOr(parts=parts):
            return any(evaluate(p, view, wide=wide) for p in parts)
        case index.QueryNot(part=part):
            return not evaluate(part, view, wide=not wide)
    raise TypeError(f"unknown query node {node!r}")


def _words(text: str, view: DocView, *, wide: bool) -> bool:
    words = index.simple_tokens(text)
    return bool(words) and all(_word(w, view, wide=wide) for w in words)


def _word(word: str, view: DocView, *, wide: bool) -> bool:
    if word in view.tokens:
        return True
    if not wide:
        return False
    if index.ocr_fold(word) in view.folded:
        return True
    if word.isdigit():
        return False
    start = word[: max(STEM_KEEP, len(word) - 3)]
    if any(t.startswith(start) for t in view.tokens):
        return True
    return len(word) >= FUZZY_MIN and any(abs(len(t) - len(word)) <= 1 and Levenshtein.distance(t, word) <= 1
                                          for t in view.tokens)


def load_views(conn: Connection, doc_ids: Sequence[int]) -> dict[int, DocView]:
    ids = list(doc_ids)
    if not ids:
        return {}
    texts = _texts(conn, ids)
    names = _names(conn, ids)
    rows = conn.execute(select(documents.c.id, documents.c.doc_class, documents.c.source, documents.c.inbox,
                               documents.c.labels, documents.c.state, documents.c.flags, documents.c.patient_id,
                               documents.c.doc_date, documents.c.received_at, documents.c.original_name,
                               patients.c.restricted)
                        .select_from(documents.outerjoin(patients, patients.c.id == documents.c.patient_id))
                        .where(documents.c.id.in_(ids))).all()
    return {r.id: _view(r, texts.get(r.id, ""), names.get(r.id, ())) for r in rows}


def _view(r: object, text: str, names: Iterable[str]) -> DocView:
    m = r._mapping  # type: ignore[attr-defined]
    words = " ".join([text, m["original_name"] or "", *names])
    tokens = frozenset(index.simple_tokens(words))
    dates = {d.value for d in index.find_dates(text)}
    if m["doc_date"]:
        dates.add(m["doc_date"])
    fields: dict[str, object] = {
        "doc_class": m["doc_class"], "source": m["source"], "inbox": m["inbox"], "labels": tuple(m["labels"] or ()),
        "status": document_status(state=m["state"], doc_class=m["doc_class"], flags=m["flags"]),
        "patient": str(m["patient_id"]) if m["patient_id"] is not None else None,
        "chart": "restricted" if m["restricted"] else "open",
        "doc_id": m["id"], "doc_date": m["doc_date"], "received": m["received_at"].date(),
    }
    return DocView(tokens, frozenset(dates), {k: v for k, v in fields.items() if v is not None})


def _texts(conn: Connection, ids: list[int]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    q = select(pages.c.document_id, pages.c.text).where(pages.c.document_id.in_(ids)).order_by(
        pages.c.document_id, pages.c.page_no)
    for doc_id, text in conn.execute(q):
        out.setdefault(doc_id, []).append(text or "")
    return {k: "\n".join(v) for k, v in out.items()}


def _names(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
    """The names of each document's patient (official and every other name), as the index holds them."""
    q = (select(documents.c.id, patient_names.c.given_name, patient_names.c.family_name, patient_names.c.middle_name)
         .select_from(documents.join(patient_names, patient_names.c.patient_id == documents.c.patient_id))
         .where(documents.c.id.in_(ids)))
    out: dict[int, list[str]] = {}
    for doc_id, given, family, middle in conn.execute(q):
        out.setdefault(doc_id, []).append(" ".join(p for p in (given, middle, family) if p))
    q2 = (select(documents.c.id, patients.c.given_name, patients.c.family_name)
          .select_from(documents.join(patients, patients.c.id == documents.c.patient_id))
          .where(documents.c.id.in_(ids), or_(patients.c.given_name != "", patients.c.family_name != "")))
    for doc_id, given, family in conn.execute(q2):
        out.setdefault(doc_id, []).append(f"{given} {family}")
    return out
