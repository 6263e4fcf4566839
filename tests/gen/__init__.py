"""Generators of realistic office documents with their ground truth (test-only).

    from tests.gen import make_document, render, FixtureCache

- `people`: a deterministic roster of fake patients and clinicians.
- `documents`: the text of ten document kinds (`KINDS`) as layout-free blocks.
- `layout`: our own page layout (known truth per page) drawn with reportlab.
- `render`: born-digital PDF, scans, faxes, scanner PDFs, phone photos, mixed PDFs.
- `cache`: build each fixture once per session; `fixtures.gen` is the pytest fixture.
- `metrics`: character error rate against the truth.
"""

from tests.gen.cache import BUILDERS, FixtureCache
from tests.gen.documents import KINDS, Document, make_document
from tests.gen.metrics import cer, normalise, word_cer, word_recall
from tests.gen.people import Patient, Roster, format_date, roster
from tests.gen.render import (
    Built,
    Page,
    born_digital_pdf,
    fax,
    fax_pages,
    mixed_pdf,
    pdf_bytes,
    phone_photo,
    rasterise,
    scan,
    scan_pages,
    scanner_pdf,
    write_pages,
)

__all__ = [
    "BUILDERS", "KINDS", "Built", "Document", "FixtureCache", "Page", "Patient", "Roster",
    "born_digital_pdf", "cer", "fax", "fax_pages", "format_date", "make_document", "mixed_pdf",
    "normalise", "pdf_bytes", "phone_photo", "rasterise", "roster", "scan", "scan_pages",
    "scanner_pdf", "word_cer", "word_recall", "write_pages",
]
