"""Fax cover sheets: who sent the fax, to whom, and how many pages it says it has."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FIELD_END = r"(?=\s{2,}|\t|$|\s+(?:to|from|fax|phone|tel|date|pages?|re|subject|attn)\s*[:#])"
_TO = re.compile(rf"^\s*(?:to|attn|attention|recipient)\s*:\s*(.+?){_FIELD_END}", re.IGNORECASE | re.MULTILINE)
_FROM = re.compile(rf"^\s*(?:from|sender)\s*:\s*(.+?){_FIELD_END}", re.IGNORECASE | re.MULTILINE)
_PAGES = re.compile(r"(?:pages?|no\.?\s+of\s+pages|number\s+of\s+pages|#\s*of\s+pages|total\s+pages)[^:\n\d]{0,24}[:#]?\s*([0-9OIl]{1,3})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CoverSheet:
    sender: str | None
    recipient: str | None
    stated_pages: int | None

    def as_json(self) -> dict[str, object]:
        return {"sender": self.sender, "recipient": self.recipient, "stated_pages": self.stated_pages}


def read_cover(text: str) -> CoverSheet:
    to, frm, pages = _TO.search(text), _FROM.search(text), _PAGES.search(text)
    count = None
    if pages:
        digits = pages.group(1).translate(str.maketrans("OIl", "011"))
        count = int(digits) if digits.isdigit() else None
    return CoverSheet(frm.group(1).strip() if frm else None, to.group(1).strip() if to else None, count)
