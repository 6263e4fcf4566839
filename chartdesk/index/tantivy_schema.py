"""The tantivy schema and how an IndexDocument becomes a tantivy document.

Fields:
  text   stored, English-stemmed (BM25 for stems; snippets are cut from it)
  raw    the same text, lowercased and accent-folded, not stemmed (exact words,
         phrases, prefixes, fuzzy matches)
  ocr    the raw tokens passed through normalize.ocr_fold (OCR confusions)
  title  stemmed; names: the chart's patient names (raw)
  dates  ISO date tokens of every date written in the text, and the document date
  birth  the patient's birth date as an ISO token
  doc_class source inbox labels status patient chart: keyword fields (exact values)
  doc_id (integer), doc_date and received (dates): filters
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import tantivy
from tantivy import Filter as TF
from tantivy import TextAnalyzer, TextAnalyzerBuilder, Tokenizer

from chartdesk.index.filters import KEYWORD_FIELDS
from chartdesk.index.model import IndexDocument
from chartdesk.index.normalize import date_token, find_dates, ocr_fold

SCHEMA_VERSION = 1  # bump when fields or analysers change: the index is rebuilt
STEM = "cd_stem"
RAW = "cd_raw"
MAX_TOKEN_CHARS = 40


@dataclass(frozen=True)
class Analyzers:
    """The analysers registered on the index, also run in Python on query words."""

    stem: TextAnalyzer
    raw: TextAnalyzer

    def raw_tokens(self, text: str) -> list[str]:
        return self.raw.analyze(text)

    def stem_tokens(self, text: str) -> list[str]:
        return self.stem.analyze(text)


def make_analyzers() -> Analyzers:
    def build(*, stem: bool) -> TextAnalyzer:
        builder = (
            TextAnalyzerBuilder(Tokenizer.simple())
            .filter(TF.remove_long(MAX_TOKEN_CHARS))
            .filter(TF.lowercase())
            .filter(TF.ascii_fold())
        )
        return (builder.filter(TF.stemmer("english")) if stem else builder).build()

    return Analyzers(stem=build(stem=True), raw=build(stem=False))


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("doc_id", stored=True, indexed=True, fast=True)
    sb.add_text_field("text", stored=True, tokenizer_name=STEM)
    sb.add_text_field("raw", tokenizer_name=RAW)
    sb.add_text_field("ocr", tokenizer_name="whitespace")
    sb.add_text_field("title", tokenizer_name=STEM)
    sb.add_text_field("names", tokenizer_name=RAW)
    sb.add_text_field("dates", tokenizer_name="raw", index_option="freq")
    sb.add_text_field("birth", tokenizer_name="raw", index_option="basic")
    for name in sorted(KEYWORD_FIELDS):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_date_field("doc_date", indexed=True, fast=True)
    sb.add_date_field("received", indexed=True, fast=True)
    return sb.build()


def as_datetime(value: dt.date) -> dt.datetime:
    """Dates are stored as midnight UTC."""
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def to_tantivy(doc: IndexDocument, analyzers: Analyzers, *, fold_ocr: bool) -> tantivy.Document:
    out = tantivy.Document()
    out.add_integer("doc_id", doc.doc_id)
    out.add_text("text", doc.text)
    out.add_text("raw", doc.text)
    if fold_ocr:
        out.add_text("ocr", " ".join(ocr_fold(t) for t in analyzers.raw_tokens(doc.text)))
    out.add_text("title", doc.title)
    for name in doc.patient_names:
        out.add_text("names", name)
    for token in _date_tokens(doc):
        out.add_text("dates", token)
    if doc.patient_birth_date is not None:
        out.add_text("birth", date_token(doc.patient_birth_date))
    for field, values in doc.keyword_values().items():
        for value in values:
            out.add_text(field, value)
    if doc.doc_date is not None:
        out.add_date("doc_date", as_datetime(doc.doc_date))
    out.add_date("received", as_datetime(doc.received))
    return out


def _date_tokens(doc: IndexDocument) -> list[str]:
    found = {date_token(m.value) for m in find_dates(doc.text)}
    if doc.doc_date is not None:
        found.add(date_token(doc.doc_date))
    return sorted(found)
