"""A fuzz pass over damaged files: 200 valid office files, truncated or with bits
flipped, each taken from an inbox and processed through the real pipeline
(real pdfium, Pillow, libtiff, libheif and tesseract). Nothing crashes, nothing
hangs, and every file ends in a state a person can act on: processed, or
refused with a reason. A damaged file must never park a worker with a
traceback-like error: decoders' failures become receptionist-readable reasons.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from chartdesk import pipeline
from chartdesk.app import App, open_app
from chartdesk.db import documents
from chartdesk.ingest import take
from chartdesk.stages import State
from tests.conftest import make_settings
from tests.gen import FixtureCache

FILES = 200
SECONDS_PER_FILE = 60.0  # generous on a loaded 2-core machine; a hang takes forever
BASES = [
    ("born_digital", {"kind": "consent_form"}),
    ("scan", {"kind": "prescription", "fmt": "pdf"}),
    ("fax", {"kind": "lab_result", "mode": "fine", "compression": "group4"}),
    ("fax", {"kind": "referral_letter", "mode": "normal", "compression": "group3"}),
    ("scan", {"kind": "progress_note", "fmt": "png"}),
    ("scan", {"kind": "imaging_report", "fmt": "jpeg"}),
    ("photo", {"kind": "insurance_card", "fmt": "heic"}),
    ("fax", {"kind": "prescription", "fmt": "pdf", "mode": "fine", "compression": "group4"}),
]


def _damage(data: bytes, rng: random.Random) -> bytes:
    """Truncate, flip bits, or both: what a flaky scanner, network or disk does."""
    how = rng.choice(["truncate", "flip", "both"])
    out = bytearray(data)
    if how in ("truncate", "both"):
        out = out[: rng.randint(1, max(1, len(out) - 1))]
    if how in ("flip", "both"):
        for _ in range(rng.randint(1, 24)):
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _settle(app: App, doc_id: int, deadline: float) -> str:
    """Run the document's stages in this process until it stops; its final state."""
    worker = pipeline.new_worker_id()
    while time.monotonic() < deadline:
        with app.db.read() as conn:
            state, stage = conn.execute(
                select(documents.c.state, documents.c.stage).where(documents.c.id == doc_id)
            ).one()
        if stage is None or stage == pipeline.INDEX or state in State.TERMINAL:
            return str(state)
        claimed = pipeline.claim(app, worker)
        assert claimed is not None and claimed.id == doc_id, "only this document is due"
        pipeline.run_claimed(app, claimed, worker)
    raise AssertionError(f"document {doc_id} still in the pipeline after {SECONDS_PER_FILE} s: a hang")


@pytest.mark.slow
def test_damaged_files_never_crash_or_hang(tmp_path: Path, gen: FixtureCache) -> None:
    settings = make_settings(tmp_path, ocr={"page_timeout_seconds": 20}, pipeline={"max_attempts": 1})
    app = open_app(settings, create=True)
    inbox = settings.inbox("scans")
    bases = [gen.build(what, seed=70 + i, **options).path.read_bytes() for i, (what, options) in enumerate(BASES)]
    rng = random.Random(2026)
    outcomes: dict[str, int] = {}
    slowest = 0.0
    for n in range(FILES):
        data = _damage(bases[n % len(bases)], rng)
        path = inbox.path / f"damaged-{n:03d}.bin"
        path.write_bytes(data)
        started = time.monotonic()
        outcome = take(app, path, inbox=inbox, remove=True)
        final = outcome.status
        if outcome.status in ("stored", "retried") and outcome.document_id:
            final = _settle(app, outcome.document_id, started + SECONDS_PER_FILE)
        slowest = max(slowest, time.monotonic() - started)
        assert not path.exists(), "every damaged file leaves the inbox"
        assert final != State.parked, _why(app, outcome.document_id)
        outcomes[final] = outcomes.get(final, 0) + 1
    with app.db.read() as conn:
        rejected = conn.execute(
            select(documents.c.reason_code, documents.c.reason).where(documents.c.state == State.rejected)
        ).all()
    assert all(code and reason and "Traceback" not in reason for code, reason in rejected)
    assert outcomes.get(State.rejected, 0) > FILES // 4, outcomes  # damage is mostly caught
    assert sum(outcomes.values()) == FILES
    print(f"fuzz outcomes: {outcomes}; slowest file {slowest:.1f} s")


def _why(app: App, doc_id: int | None) -> str:
    with app.db.read() as conn:
        row = conn.execute(select(documents.c.last_error, documents.c.media_type).where(documents.c.id == doc_id)).first()
    return f"document {doc_id} was parked: {row}"
