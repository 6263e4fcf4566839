"""Checks of a file's content before it is stored, by the room that reads that
kind of file: pages (PDF and images) by ocr/, audio by transcription/.

Imported lazily, so commands that never look inside a file (status, search)
do not load the PDF, OCR or audio libraries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chartdesk.config import Settings
from chartdesk.ingest.sniff import Sniffed


def inspect_content(path: Path, sniffed: Sniffed, settings: Settings) -> dict[str, Any]:
    """Raise a BadInputError if the file cannot be processed; else its facts:
    page_count (documents), duration_seconds (audio), flags."""
    if sniffed.kind == "audio":
        from chartdesk import transcription

        audio = transcription.inspect_audio(path, sniffed.media_type, settings)
        return {"page_count": None, "duration_seconds": audio.duration_seconds, "flags": {}}
    from chartdesk import ocr

    facts = ocr.inspect_file(path, sniffed.media_type, settings)
    return {"page_count": facts.page_count, "flags": dict(facts.flags)}
