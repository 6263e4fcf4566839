"""Tables of a text-layer page drawn with ruling lines: pdfplumber's lattice finder
on the lines pdfium reads, and each cell's text from pdfium's text layer.

pdfplumber alone gives the same tables, but it first parses the whole page in
pure Python (pdfminer makes an object of every character): 25-80 ms a table
page here, most of the born-digital extract stage once page images are drawn
on view. pdfium has already opened the page; its ruling lines become the edges
pdfplumber's `TableFinder` ("lines" strategy, its default tolerances) turns into
cells, and pdfium reads each cell's text: a few ms a page.

The edges are made the way pdfplumber makes them from pdfminer's objects: every
straight, horizontal or vertical piece of a path (a line, each side of a
rectangle, each step of a polyline), in page space (form XObjects included).
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber.table import TableFinder

log = logging.getLogger(__name__)

STRAIGHT = 1e-3  # points: a piece this close to level or plumb is an edge
LINE_TOLERANCE = 3.0  # points: pdfplumber's y_tolerance, characters this close are one line
WORD_GAP = 3.0  # points: pdfplumber's x_tolerance, a wider gap starts a new word
MAX_FORM_DEPTH = 3


@dataclass(frozen=True, slots=True)
class _Ruled:
    """What TableFinder reads of a page for its "lines" strategy."""

    edges: list[dict[str, Any]]
    bbox: tuple[float, float, float, float]


def read_tables(page: pdfium.PdfPage) -> list[list[list[str]]]:
    """The page's tables, top to bottom, as rows of cell texts ("" for an empty or
    merged cell)."""
    edges = ruling_edges(page)
    if not edges:
        return []
    width, height = page.get_size()
    finder = TableFinder(_Ruled(edges, (0.0, -height, width, 0.0)))  # type: ignore[arg-type]
    if not finder.tables:
        return []
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage)
    finally:
        textpage.close()
    return [_table_text(chars, table) for table in finder.tables]


@dataclass(frozen=True, slots=True)
class _Char:
    text: str
    x0: float
    x1: float
    top: float  # top-down: -y
    x_mid: float
    y_mid: float  # top-down


def _chars(textpage: pdfium.PdfTextPage) -> list[_Char]:
    """The text layer's characters with their loose boxes (font ascent to descent,
    advance width: the boxes pdfminer gives pdfplumber)."""
    count = pdfium_c.FPDFText_CountChars(textpage.raw)
    text = textpage.get_text_range(0, count) if count > 0 else ""
    exact = len(text) == count  # one UTF-16 unit a character (no astral characters)
    box = pdfium_c.FS_RECTF()
    found = []
    for i in range(count):
        char = text[i] if exact else chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
        if char in "\r\n" or not pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, i, box):
            continue
        found.append(_Char(char, box.left, box.right, -box.top, (box.left + box.right) / 2,
                           -(box.top + box.bottom) / 2))
    return found


def _inside(chars: list[_Char], box: tuple[float, float, float, float]) -> list[_Char]:
    x0, top, x1, bottom = box
    return [c for c in chars if x0 <= c.x_mid < x1 and top <= c.y_mid < bottom]


def _table_text(chars: list[_Char], table: Any) -> list[list[str]]:
    in_table = _inside(chars, table.bbox)
    rows = []
    for row in table.rows:
        in_row = _inside(in_table, row.bbox)
        rows.append([_cell_text(in_row, cell) for cell in row.cells])
    return rows


def _cell_text(chars: list[_Char], cell: tuple[float, float, float, float] | None) -> str:
    """pdfplumber's rule: the characters whose middle is in the cell, in lines (3 pt
    apart) and words (split at blanks and at gaps over 3 pt)."""
    if cell is None:
        return ""
    inside = sorted(_inside(chars, cell), key=lambda c: c.top)
    lines: list[list[_Char]] = []
    for char in inside:
        if lines and char.top - lines[-1][0].top <= LINE_TOLERANCE:
            lines[-1].append(char)
        else:
            lines.append([char])
    return "\n".join(text for text in (_line_text(line) for line in lines) if text)


def _line_text(line: list[_Char]) -> str:
    words: list[str] = []
    word = ""
    right = None
    for char in sorted(line, key=lambda c: c.x0):
        if char.text.isspace() or (right is not None and char.x0 > right + WORD_GAP):
            if word:
                words.append(word)
            word = ""
        if not char.text.isspace():
            word += char.text
        right = char.x1
    if word:
        words.append(word)
    return " ".join(words)


def ruling_edges(page: pdfium.PdfPage) -> list[dict[str, Any]]:
    """Every level or plumb straight piece of the page's paths, as pdfplumber edges
    (x0, x1, top, bottom in points, top-down: top = -y)."""
    edges: list[dict[str, Any]] = []
    _collect(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, pdfium.PdfMatrix(), 0, edges)
    return edges


def _collect(container: Any, count: Any, get: Any, outer: pdfium.PdfMatrix, depth: int,
             edges: list[dict[str, Any]]) -> None:
    for i in range(count(container)):
        obj = get(container, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            continue
        raw = pdfium_c.FS_MATRIX()
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, raw):
            continue
        matrix = pdfium.PdfMatrix.from_raw(raw).multiply(outer)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            edges.extend(_path_edges(obj, matrix))
        elif depth < MAX_FORM_DEPTH:
            _collect(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, matrix, depth + 1, edges)


def _path_edges(obj: Any, matrix: pdfium.PdfMatrix) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    start = last = None
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        point = matrix.on_point(x.value, y.value)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and last is not None:
            _add_edge(found, last, point)
        elif kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        last = point
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            _add_edge(found, point, start)
            last = start
    return found


def _add_edge(edges: list[dict[str, Any]], a: tuple[float, float], b: tuple[float, float]) -> None:
    if abs(a[0] - b[0]) <= STRAIGHT:
        orientation = "v"
    elif abs(a[1] - b[1]) <= STRAIGHT:
        orientation = "h"
    else:
        return
    x0, x1 = sorted((a[0], b[0]))
    top, bottom = sorted((-a[1], -b[1]))
    if orientation == "v":
        x1 = x0
    else:
        bottom = top
    edges.append({"object_type": "line", "orientation": orientation, "x0": x0, "x1": x1, "top": top,
                  "bottom": bottom, "doctop": top, "width": x1 - x0, "height": bottom - top})
