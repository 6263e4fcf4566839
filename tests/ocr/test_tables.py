"""Tables read from pdfium's ruling lines and text layer are the tables pdfplumber
finds on its own (its full parse is the reference), on generated office documents
and on reportlab tables with spans, wrapped cells, shading and a second table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chartdesk.ocr.tables import read_tables
from tests.gen import born_digital_pdf, make_document


def _pdfplumber(path: Path, index: int) -> list[Any]:
    with pdfplumber.open(str(path), pages=[index + 1]) as pdf:
        found = pdf.pages[0].extract_tables()
    return [[[(cell or "").strip() for cell in row] for row in table] for table in found if table]


def _both(path: Path) -> list[tuple[list[Any], list[Any]]]:
    document = pdfium.PdfDocument(str(path))
    try:
        pairs = []
        for index in range(len(document)):
            page = document[index]
            pairs.append((read_tables(page), _pdfplumber(path, index)))
            page.close()
        return pairs
    finally:
        document.close()


@pytest.mark.parametrize(("kind", "seed"), [("lab_result", 2), ("lab_result", 7), ("eob", 12), ("eob", 3),
                                            ("discharge_summary", 1), ("referral_letter", 1)])
def test_generated_documents_give_pdfplumbers_tables(kind: str, seed: int, tmp_path: Path) -> None:
    pairs = _both(born_digital_pdf(make_document(kind, seed), tmp_path / f"{kind}.pdf").path)
    for ours, reference in pairs:
        assert ours == reference
    if kind in ("lab_result", "eob"):
        assert any(ours for ours, _ in pairs), "the document has a table"


def _reportlab(path: Path, *, span: bool) -> Path:
    styles = getSampleStyleSheet()
    rows: list[list[Any]] = [["Analyte", "Value", "Units", "Flag"]]
    rows += [[f"Test {i}", f"{i * 1.5:.1f}", "mg/dL", "H" if i % 3 == 0 else ""] for i in range(12)]
    rows[3][0] = Paragraph("A long analyte name that wraps onto a second line in its cell", styles["Normal"])
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]
    if span:
        style += [("SPAN", (1, 5), (2, 5)), ("BOX", (0, 0), (-1, -1), 2, colors.black)]
    second = Table([["Dose", "Route"], ["5 mg", "oral"]], style=[("INNERGRID", (0, 0), (-1, -1), 0.25, colors.black),
                                                              ("BOX", (0, 0), (-1, -1), 1, colors.black)])
    story = [Paragraph("Results", styles["Heading1"]), Table(rows, colWidths=[150, 80, 80, 50], style=TableStyle(style)),
             Spacer(1, 20), second]
    SimpleDocTemplate(str(path), pagesize=letter).build(story)
    return path


@pytest.mark.parametrize("span", [False, True])
def test_reportlab_tables_give_pdfplumbers_tables(span: bool, tmp_path: Path) -> None:  # noqa: FBT001
    ((ours, reference),) = _both(_reportlab(tmp_path / "grid.pdf", span=span))
    assert ours == reference
    assert len(ours) == 2 and ours[0][0] == ["Analyte", "Value", "Units", "Flag"] and "\n" in ours[0][3][0]
    assert ours[0][3][0].split() == "A long analyte name that wraps onto a second line in its cell".split()


def test_a_page_without_ruling_lines_has_no_tables(tmp_path: Path) -> None:
    ((ours, reference),) = _both(born_digital_pdf(make_document("referral_letter", 2), tmp_path / "letter.pdf").path)[:1]
    assert ours == reference == []
