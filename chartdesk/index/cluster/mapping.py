"""The cluster index: its settings, analysers and mappings, and how an
IndexDocument becomes a source document. Shared by OpenSearch and Elasticsearch.

Analysis follows the embedded backend token for token (tantivy_schema), so the
same query finds the same documents:
  cd_raw   words are runs of letters and digits; lowercased, accent-folded;
           tokens of 40 characters or more dropped
  cd_stem  cd_raw, then English (Snowball "porter2") stemming
Medical synonyms are applied to the query, not the analyser (synonyms.py): the
same list as the embedded backend (built-in plus search.synonyms_file), a quoted
phrase is never expanded, and editing the list needs no reindex.

Fields:
  text      the pages' text: English-stemmed (BM25 on stems); text.raw: exact words,
            phrases, prefixes and one-typo matches. Kept in _source for snippets.
  ocr       raw words passed through normalize.ocr_fold (OCR confusions), whitespace-split
  ocr_near  the long OCR-folded words as "LLword" (LL = length), so that a fuzzy query
            within one length finds words two edits away (tantivy_query._ocr_near)
  title     stemmed; names: the chart's patient names (raw)
  dates     ISO tokens of every date written in the text and the document date
  birth     the patient's birth date (ISO)
  doc_class source inbox labels status patient chart: keywords (filters.KEYWORD_FIELDS)
  doc_id (long), doc_date and received (dates): filters, sorting
"""

from __future__ import annotations

from typing import Any

from chartdesk.index.filters import KEYWORD_FIELDS
from chartdesk.index.model import IndexDocument
from chartdesk.index.normalize import date_token, find_dates, ocr_fold
from chartdesk.index.tantivy_schema import Analyzers

SCHEMA_VERSION = 1  # bump when fields or analysers change: the index is rebuilt
MAX_TOKEN_CHARS = 40
OCR_NEAR_MIN_CHARS = 8  # query words this long match OCR words two edits away
MAX_RESULT_WINDOW = 10_200  # tantivy_index.MAX_OFFSET + MAX_LIMIT
SOURCE_FIELDS = ("doc_id", "text")  # what a search brings back

_ANALYSIS: dict[str, Any] = {
    "tokenizer": {"cd_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}},
    "filter": {
        "cd_length": {"type": "length", "max": MAX_TOKEN_CHARS - 1},
        "cd_english": {"type": "stemmer", "language": "porter2"},
    },
    "analyzer": {
        "cd_raw": {"type": "custom", "tokenizer": "cd_words", "filter": ["cd_length", "lowercase", "asciifolding"]},
        "cd_stem": {
            "type": "custom",
            "tokenizer": "cd_words",
            "filter": ["cd_length", "lowercase", "asciifolding", "cd_english"],
        },
        "cd_ocr": {"type": "custom", "tokenizer": "whitespace"},
    },
}

_KEYWORD = {"type": "keyword"}
_QUERY_ONLY_KEYWORD = {"type": "keyword", "doc_values": False}
_DATE = {"type": "date", "format": "yyyy-MM-dd"}


def _mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "doc_id": {"type": "long"},
        "text": {"type": "text", "analyzer": "cd_stem", "fields": {"raw": {"type": "text", "analyzer": "cd_raw"}}},
        "ocr": {"type": "text", "analyzer": "cd_ocr"},
        "ocr_near": _QUERY_ONLY_KEYWORD,
        "title": {"type": "text", "analyzer": "cd_stem"},
        "names": {"type": "text", "analyzer": "cd_raw"},
        "dates": _QUERY_ONLY_KEYWORD,
        "birth": _QUERY_ONLY_KEYWORD,
        "doc_date": _DATE,
        "received": _DATE,
    }
    properties.update({name: _KEYWORD for name in sorted(KEYWORD_FIELDS)})
    return {
        "dynamic": "strict",
        "_meta": {"chartdesk_schema": SCHEMA_VERSION},
        "_source": {"excludes": ["ocr", "ocr_near"]},
        "properties": properties,
    }


def index_body(*, shards: int, replicas: int, aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body that creates one index. Refreshes happen on commit() only, so
    written documents stay invisible until then (the SearchIndex contract)."""
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": "-1",
                "max_result_window": MAX_RESULT_WINDOW,
                # expunge() merges away every deleted copy, not only segments 10% deleted
                "merge": {"policy": {"expunge_deletes_allowed": 0}},
            },
            "analysis": _ANALYSIS,
        },
        "mappings": _mappings(),
        "aliases": {alias: {} for alias in aliases},
    }


def lock_index_body(*, replicas: int) -> dict[str, Any]:
    """The small index of writer locks (lock.py)."""
    return {
        "settings": {"index": {"number_of_shards": 1, "number_of_replicas": replicas}},
        "mappings": {"dynamic": "strict", "properties": {"owner": {"type": "keyword"}, "until": {"type": "double"}}},
    }


def to_source(doc: IndexDocument, analyzers: Analyzers) -> dict[str, Any]:
    """The source of one document (ocr fields are indexed but not stored)."""
    folded = [ocr_fold(t) for t in analyzers.raw_tokens(doc.text)]
    source: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "text": doc.text,
        "ocr": " ".join(folded),
        "ocr_near": sorted({near_token(t) for t in folded if len(t) >= OCR_NEAR_MIN_CHARS - 1}),
        "title": doc.title,
        "names": list(doc.patient_names),
        "dates": _date_tokens(doc),
        "birth": date_token(doc.patient_birth_date) if doc.patient_birth_date else None,
        "doc_date": doc.doc_date.isoformat() if doc.doc_date else None,
        "received": doc.received.isoformat(),
    }
    source.update({field: list(values) for field, values in doc.keyword_values().items()})
    return source


def near_token(folded: str, length: int | None = None) -> str:
    """An ocr_near term: the word's length (or `length`) in two digits, then the word."""
    return f"{len(folded) if length is None else length:02d}{folded}"


def _date_tokens(doc: IndexDocument) -> list[str]:
    found = {date_token(m.value) for m in find_dates(doc.text)}
    if doc.doc_date is not None:
        found.add(date_token(doc.doc_date))
    return sorted(found)
