"""Versions of the libraries behind the extract stage, for provenance.

The tesserocr wheel bundles its own tesseract (5.5.x here) and leptonica; the
`tesseract` command from Debian (5.3.0 here) is a different build. Both are
recorded so a change of either shows up in stage results.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from importlib import metadata


@functools.cache
def _package_versions() -> dict[str, str]:
    found = {}
    for name in ("pypdfium2", "pdfplumber", "pillow", "pillow-heif", "tesserocr"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = ""
    try:
        import pypdfium2

        found["pdfium"] = str(pypdfium2.PDFIUM_INFO)
    except (ImportError, AttributeError):
        found["pdfium"] = ""
    return found


@functools.cache
def cli_tesseract_version() -> str:
    """The `tesseract` command's version (the bench's reference), '' if absent."""
    exe = shutil.which("tesseract")
    if not exe:
        return ""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split()[-1] if first else ""


def library_versions(*, ocr_loaded: bool) -> dict[str, str]:
    found = dict(_package_versions())
    if ocr_loaded:
        from chartdesk.ocr.tesseract import library_versions as tess

        found.update({f"inproc_{k}": v for k, v in tess().items()})
        found["cli_tesseract"] = cli_tesseract_version()
    return found
