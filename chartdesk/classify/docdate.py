"""The document's own date (of service, of the report, of the letter), kept apart
from the date it was received.

Dates are ranked by the label in front of them: a date of service or a
collection date beats a bare "Date:", which beats a date alone on a line (a
letter's date), which beats any other date. Birth dates, expiry dates and
dates after the day the document was received are never the document's date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from chartdesk.classify.dates import DateKind, find_dates

_STRONG = re.compile(
    r"(date\s+of\s+(service|visit|exam|examination|study|report|procedure|discharge|notice|letter)|\bdos\b|service\s+date|visit\s+date|"
    r"exam\s+date|study\s+date|collect(ed|ion\s+date)|date\s+collected|report(ed)?\s+date|\breported\b|\bresulted\b|discharge\s+date|"
    r"\bdischarged\b|statement\s+date|date\s+processed|\bprocessed\b|date\s+written|rx\s+date|date\s+sent|date\s+signed|"
    r"date\s+of\s+request|encounter\s+date)\W*$",
    re.IGNORECASE,
)
_WEAK = re.compile(r"(\bdate\b|\bdated\b|admi(tted|ssion\s+date)|date\s+of\s+admission|effective(\s+date)?|\beff\b)\W*$", re.IGNORECASE)
_NEVER = re.compile(r"(birth|\bdob\b|d\.o\.b|\bborn\b|expir|\bexp\b|valid\s+(until|thru)|member\s+since|prior\s+study|comparison)\W*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DocDate:
    value: dt.date
    rank: int  # 1 labelled as the date of service/report, 2 "Date:", 3 a line of its own, 4 any date
    label: str
    page_no: int

    def evidence(self) -> dict[str, object]:
        return {"rank": self.rank, "label": self.label, "page": self.page_no}


def document_date(pages: Sequence[str], *, received: dt.date, birth_dates: set[dt.date] = frozenset(),  # type: ignore[assignment]
                  max_pages: int = 3) -> DocDate | None:
    """The best-supported date of the document, or None."""
    best: DocDate | None = None
    for page_no, text in enumerate(pages[:max_pages], start=1):
        for line in text.splitlines():
            for candidate in _line_dates(line, page_no, received):
                if candidate.value in birth_dates:
                    continue
                if best is None or candidate.rank < best.rank:
                    best = candidate
        if best is not None and best.rank == 1:
            break
    return best


def _line_dates(line: str, page_no: int, received: dt.date) -> list[DocDate]:
    out = []
    for found in find_dates(line, kind=DateKind.document, today=received):
        if found.value > received + dt.timedelta(days=1) or found.value.year < 1950:
            continue
        before = line[max(0, found.start - 48):found.start]
        if _NEVER.search(before):
            continue
        label = before.strip(" :-#.\t")[-32:]
        if _STRONG.search(before):
            rank = 1
        elif _WEAK.search(before):
            rank = 2
        elif not line[:found.start].strip() and not line[found.end:].strip():
            rank = 3
        else:
            rank = 4
        out.append(DocDate(found.value, rank, label.lower(), page_no))
    return out
