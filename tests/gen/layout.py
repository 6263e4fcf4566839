"""Lay a `Document` out on Letter pages and draw it as a born-digital PDF.

The layout is ours (not reportlab's flowables) so that every drawn line is
known: each page records its ground-truth lines in reading order, which is what
OCR and text-layer extraction are measured against.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from tests.gen.documents import (
    Box,
    Document,
    Fields,
    Heading,
    Letterhead,
    Paragraph,
    Spacer,
    Style,
    Table,
)

PAGE_W, PAGE_H = letter
LETTERHEAD_COLOUR = (0.08, 0.22, 0.55)


@dataclass(frozen=True, slots=True)
class TextOp:
    x: float
    y: float
    font: str
    size: float
    text: str
    colour: tuple[float, float, float] = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class LineOp:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.8


@dataclass(slots=True)
class PageLayout:
    ops: list[TextOp | LineOp] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # ground truth, reading order
    ruled: bool = False  # the page has a table drawn with ruling lines

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Cursor:
    def __init__(self, style: Style) -> None:
        self.style = style
        self.pages: list[PageLayout] = []
        self.bottom = style.margin + (24 if style.footer else 0)
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(PageLayout())
        self.y = PAGE_H - self.style.margin

    @property
    def page(self) -> PageLayout:
        return self.pages[-1]

    @property
    def width(self) -> float:
        return PAGE_W - 2 * self.style.margin

    def need(self, height: float) -> None:
        if self.y - height < self.bottom and self.page.lines:
            self.new_page()

    def text_line(self, parts: list[tuple[float, str, float, str]], truth: str, lead: float) -> None:
        """Draw one visual line made of (x, font, size, text) parts."""
        self.need(lead)
        self.y -= lead
        for x, font, size, text in parts:
            self.page.ops.append(TextOp(x, self.y, font, size, text))
        self.page.lines.append(truth)


def _lead(size: float) -> float:
    return size * 1.38


def _letterhead(c: _Cursor, block: Letterhead) -> None:
    s = c.style
    for i, line in enumerate(block.truth()):
        font, size = (s.bold, s.size + 5) if i == 0 else (s.font, s.size - 1)
        w = stringWidth(line, font, size)
        x = {"left": s.margin, "center": (PAGE_W - w) / 2, "right": PAGE_W - s.margin - w}[block.align]
        c.need(_lead(size))
        c.y -= _lead(size)
        c.page.ops.append(TextOp(x, c.y, font, size, line, LETTERHEAD_COLOUR if i == 0 else (0, 0, 0)))
        c.page.lines.append(line)
    c.y -= 4
    c.page.ops.append(LineOp(s.margin, c.y, PAGE_W - s.margin, c.y, 1.2))
    c.y -= 10


def _heading(c: _Cursor, block: Heading) -> None:
    s = c.style
    w = stringWidth(block.text, s.bold, block.size)
    c.y -= 4
    c.text_line([((PAGE_W - w) / 2, s.bold, block.size, block.text)], block.text, _lead(block.size))
    c.y -= 6


def _pair_parts(x: float, label: str, value: str, s: Style) -> tuple[list[tuple[float, str, float, str]], float]:
    head = f"{label}:"
    hw = stringWidth(head + " ", s.bold, s.size)
    parts = [(x, s.bold, s.size, head), (x + hw, s.font, s.size, value)]
    return parts, hw + stringWidth(value, s.font, s.size)


def _fields(c: _Cursor, block: Fields) -> None:
    s = c.style
    half = c.width / 2
    columns = block.columns
    if columns == 2 and any(_pair_parts(0, k, v, s)[1] > half - 8 for k, v in block.pairs):
        columns = 1
    for i in range(0, len(block.pairs), columns):
        row = block.pairs[i:i + columns]
        parts: list[tuple[float, str, float, str]] = []
        for j, (k, v) in enumerate(row):
            parts += _pair_parts(s.margin + j * half, k, v, s)[0]
        c.text_line(parts, " ".join(f"{k}: {v}" for k, v in row), _lead(s.size))


def _paragraph(c: _Cursor, block: Paragraph) -> None:
    s = c.style
    font = s.bold if block.bold else s.font
    for line in simpleSplit(block.text, font, s.size, c.width):
        c.text_line([(s.margin, font, s.size, line)], line, _lead(s.size))
    c.y -= s.size * 0.5


def _table_row(c: _Cursor, cells: tuple[str, ...], xs: list[float], widths: list[float], font: str, *,
               ruled: bool) -> None:
    s = c.style
    size = s.size - 0.5
    wrapped = [simpleSplit(cell, font, size, w - 8) or [""] for cell, w in zip(cells, widths, strict=True)]
    lead = _lead(size)
    height = lead * max(len(w) for w in wrapped) + 6
    c.need(height)
    top = c.y
    for k in range(max(len(w) for w in wrapped)):
        c.y -= lead
        parts = [(x + 4, font, size, w[k]) for x, w in zip(xs, wrapped, strict=True) if k < len(w) and w[k]]
        for x, f, sz, t in parts:
            c.page.ops.append(TextOp(x, c.y, f, sz, t))
        c.page.lines.append(" ".join(p[3] for p in parts))
    c.y = top - height
    if ruled:
        left, right = xs[0], xs[-1] + widths[-1]
        c.page.ops.append(LineOp(left, c.y, right, c.y))
        for x in [*xs, right]:
            c.page.ops.append(LineOp(x, top, x, c.y))


def _table(c: _Cursor, block: Table) -> None:
    s = c.style
    widths = [f * c.width for f in block.widths]
    xs = [s.margin + sum(widths[:i]) for i in range(len(widths))]
    size_lead = _lead(s.size - 0.5) + 6
    c.need(size_lead * 2)
    start_page = len(c.pages)

    def header() -> None:
        if block.ruled:
            c.page.ops.append(LineOp(xs[0], c.y, xs[-1] + widths[-1], c.y))
        _table_row(c, block.header, xs, widths, s.bold, ruled=block.ruled)

    header()
    for row in block.rows:
        before = len(c.pages)
        c.need(size_lead)
        if len(c.pages) != before:
            header()
        _table_row(c, row, xs, widths, s.font, ruled=block.ruled)
    if block.ruled:
        for page in c.pages[start_page - 1:]:
            page.ruled = True
    c.y -= 6


def _box(c: _Cursor, block: Box) -> None:
    s = c.style
    width = block.width * c.width
    lead = _lead(s.size + 1)
    height = lead * len(block.lines) + 24
    c.need(height)
    top = c.y
    x0, x1 = s.margin + 12, s.margin + 12 + width
    for i, line in enumerate(block.lines):
        font = s.bold if i == 0 else s.font
        size = s.size + (3 if i == 0 else 1)
        c.y -= lead
        c.page.ops.append(TextOp(x0 + 14, c.y - 6, font, size, line, LETTERHEAD_COLOUR if i == 0 else (0, 0, 0)))
        c.page.lines.append(line)
    c.y = top - height
    for a, b in (((x0, top), (x1, top)), ((x1, top), (x1, c.y)), ((x1, c.y), (x0, c.y)), ((x0, c.y), (x0, top))):
        c.page.ops.append(LineOp(*a, *b, 1.6))
    c.y -= 8


def layout(doc: Document) -> list[PageLayout]:
    """Pages with drawing operations and ground-truth lines (footers included)."""
    c = _Cursor(doc.style)
    for block in doc.blocks:
        if isinstance(block, Letterhead):
            _letterhead(c, block)
        elif isinstance(block, Heading):
            _heading(c, block)
        elif isinstance(block, Fields):
            _fields(c, block)
        elif isinstance(block, Paragraph):
            _paragraph(c, block)
        elif isinstance(block, Table):
            _table(c, block)
        elif isinstance(block, Box):
            _box(c, block)
        elif isinstance(block, Spacer):
            c.y -= block.height
    if doc.style.footer:
        n = len(c.pages)
        for i, page in enumerate(c.pages, start=1):
            text = f"Page {i} of {n}"
            w = stringWidth(text, doc.style.font, doc.style.size - 1.5)
            page.ops.append(TextOp((PAGE_W - w) / 2, doc.style.margin - 6, doc.style.font, doc.style.size - 1.5, text))
            page.lines.append(text)
    return c.pages


def draw_pdf(pages: list[PageLayout]) -> bytes:
    """A born-digital PDF with a real text layer; deterministic bytes."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=letter, invariant=1, pageCompression=1)
    for page in pages:
        for op in page.ops:
            if isinstance(op, TextOp):
                canvas.setFillColorRGB(*op.colour)
                canvas.setFont(op.font, op.size)
                canvas.drawString(op.x, op.y, op.text)
            else:
                canvas.setLineWidth(op.width)
                canvas.line(op.x1, op.y1, op.x2, op.y2)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
