"""inspect_file: the quick pre-store look. Every rejection has its own file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from chartdesk.config import Settings
from chartdesk.errors import (
    CorruptFileError,
    DecompressionBombError,
    EmptyFileError,
    EncryptedInputError,
    TooManyPagesError,
)
from chartdesk.ocr import FileFacts, inspect_file
from tests.conftest import REPO
from tests.gen import FixtureCache
from tests.ocr import badfiles


@pytest.fixture(scope="module")
def lab_pdf(gen: FixtureCache) -> Path:
    return gen.build("born_digital", kind="lab_result", seed=2).path  # two pages


def test_accepts_each_kind_of_page_file(gen: FixtureCache, settings: Settings) -> None:
    fax = gen.build("fax", kind="discharge_summary", seed=1)
    facts = inspect_file(fax.path, "image/tiff", settings)
    assert (facts.page_count, facts.width) == (fax.page_count, 1728)
    photo = gen.build("photo", kind="prescription", seed=3)
    assert inspect_file(photo.path, "image/jpeg", settings).largest_image_pixels == 4032 * 3024
    heic = gen.build("photo", kind="insurance_card", seed=4, fmt="heic")
    assert inspect_file(heic.path, "image/heic", settings).page_count == 1
    png = gen.build("scan", kind="eob", seed=1, fmt="png")
    assert inspect_file(png.path, "image/png", settings).width == 2550
    scanner = gen.build("fax", kind="lab_result", seed=2, fmt="pdf")
    facts = inspect_file(scanner.path, "application/pdf", settings)
    assert facts.page_count == scanner.page_count and facts.flags == {}
    assert facts.largest_image_pixels == 1728 * 2156  # the embedded fax image, from its dictionary


def test_password_protected_pdf_is_refused_with_a_remedy(lab_pdf: Path, tmp_path: Path, settings: Settings) -> None:
    path = badfiles.encrypted_pdf(lab_pdf, tmp_path / "locked.pdf")
    with pytest.raises(EncryptedInputError) as err:
        inspect_file(path, "application/pdf", settings)
    assert err.value.code == "encrypted"
    assert "unprotected copy into the inbox" in str(err.value)


def test_pdf_with_only_an_owner_password_is_accepted(lab_pdf: Path, tmp_path: Path, settings: Settings) -> None:
    """Given a PDF with print/copy restrictions but no password to open it,
    when it is inspected, then it is accepted: nobody has to type anything."""
    path = badfiles.owner_only_pdf(lab_pdf, tmp_path / "restricted.pdf")
    assert inspect_file(path, "application/pdf", settings).page_count == 2


@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_pdf_is_corrupt(lab_pdf: Path, tmp_path: Path, settings: Settings, keep: float) -> None:
    path = badfiles.truncated(lab_pdf, tmp_path / "cut.pdf", keep=keep)
    with pytest.raises(CorruptFileError, match="damaged"):
        inspect_file(path, "application/pdf", settings)


@pytest.mark.parametrize(("what", "media", "options"), [
    ("scan", "image/png", {"fmt": "png"}),
    ("photo", "image/jpeg", {}),
    ("fax", "image/tiff", {}),
])
def test_truncated_images_are_corrupt(gen: FixtureCache, tmp_path: Path, settings: Settings, what: str, media: str,
                                      options: dict[str, str]) -> None:
    built = gen.build(what, kind="discharge_summary", seed=1, **options)
    path = badfiles.truncated(built.path, tmp_path / ("cut" + built.path.suffix), keep=0.6)
    with pytest.raises(CorruptFileError):
        inspect_file(path, media, settings)


def test_too_many_pages(lab_pdf: Path, gen: FixtureCache, settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(ingest={"max_pages": 1})
    with pytest.raises(TooManyPagesError, match="limit"):
        inspect_file(lab_pdf, "application/pdf", settings)
    fax = gen.build("fax", kind="discharge_summary", seed=1)  # two pages
    with pytest.raises(TooManyPagesError):
        inspect_file(fax.path, "image/tiff", settings)


def test_png_claiming_60000_square_is_refused_from_its_header(tmp_path: Path, settings: Settings) -> None:
    path = badfiles.png_bomb(tmp_path / "bomb.png")
    with pytest.raises(DecompressionBombError) as err:
        inspect_file(path, "image/png", settings)
    assert err.value.code == "too_many_pixels"


def test_pdf_with_a_35000_square_jbig2_image_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = badfiles.pdf_with_huge_image(tmp_path / "huge.pdf")
    with pytest.raises(DecompressionBombError, match="1,225,000,000 pixels"):
        inspect_file(path, "application/pdf", settings)


def test_empty_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError):
        inspect_file(path, "application/pdf", settings)


def test_javascript_and_attachments_are_flagged_not_refused(lab_pdf: Path, tmp_path: Path, settings: Settings) -> None:
    js = inspect_file(badfiles.javascript_pdf(lab_pdf, tmp_path / "js.pdf"), "application/pdf", settings)
    assert js.flags == {"pdf_javascript": True}
    attached = inspect_file(badfiles.attachment_pdf(lab_pdf, tmp_path / "att.pdf"), "application/pdf", settings)
    assert attached.flags == {"pdf_embedded_files": True}
    assert isinstance(attached, FileFacts) and attached.page_count == 2


_CHILD = """
import json, resource, sys
from pathlib import Path
from tests.conftest import make_settings
from chartdesk.ocr import inspect_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    inspect_file(Path(sys.argv[1]), sys.argv[2], make_settings(Path(sys.argv[3])))
    outcome = "accepted"
except Exception as err:
    outcome = type(err).__name__
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "grew_kb": after - before}))
"""


def test_bombs_are_refused_with_bounded_memory(tmp_path: Path) -> None:
    """Given files whose headers claim 3.6 and 1.2 gigapixels, when a fresh process
    inspects them, then its peak memory grows by less than 64 MB (decoding would
    need gigabytes): the decision comes from headers."""
    for path, media in ((badfiles.png_bomb(tmp_path / "bomb.png"), "image/png"),
                        (badfiles.pdf_with_huge_image(tmp_path / "huge.pdf"), "application/pdf")):
        out = subprocess.run([sys.executable, "-c", _CHILD, str(path), media, str(tmp_path)], cwd=REPO,
                             capture_output=True, text=True, check=True, timeout=120)
        found = json.loads(out.stdout.strip().splitlines()[-1])
        assert found["outcome"] == "DecompressionBombError"
        assert found["grew_kb"] < 64 * 1024
