"""The OCR/extract room: PDF text layer, rasterising, image clean-up, tesseract.

Other rooms use only these names:

- `extract_stage` / `ExtractStage`: the pipeline's "extract" stage (pdf and image kinds).
- `inspect_file(path, media_type, settings) -> FileFacts`: the quick pre-store check
  (headers and structure, no decoding); raises the BadInputError subclasses.
- `OcrEngine`, `OcrText`, `register_engine`, `unregister_engine`, `engine_names`,
  `get_engine`: the engine seam (select with `ocr.engine`).
- `Steps`: which image clean-up steps the stage runs (the bench compares them).
- `view_file(path, method=, original=, page_index=, view_dpi=)`: a page's view
  image, drawn from the original PDF on the first view of a text-layer page.

tesserocr is imported lazily, on the first page that needs OCR, with
OMP_THREAD_LIMIT=1 set first (chartdesk/ocr/tesseract.py).
"""

from __future__ import annotations

from chartdesk.ocr.engine import (
    OcrEngine,
    OcrText,
    engine_names,
    get_engine,
    register_engine,
    unregister_engine,
)
from chartdesk.ocr.extract import ExtractStage, extract_stage
from chartdesk.ocr.inspect import FileFacts, inspect_file
from chartdesk.ocr.read import Steps
from chartdesk.ocr.views import view_file

__all__ = [
    "ExtractStage",
    "FileFacts",
    "OcrEngine",
    "OcrText",
    "Steps",
    "engine_names",
    "extract_stage",
    "get_engine",
    "inspect_file",
    "register_engine",
    "unregister_engine",
    "view_file",
]
