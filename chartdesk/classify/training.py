"""Training the classifier: seed corpus plus staff corrections, with a held-out report.

The confidence is calibrated on held-out seed documents and on partial pages
cut from them (a contiguous run of 15-60% of a document's lines): a scan or
fax read only in part, a short note, a form in unfamiliar wording. Calibrated
on whole seed documents alone, which the model separates perfectly, the
temperature fell to 0.07 and a four-line vendor quote whose only familiar word
was "exam" came out "progress_note, 1.000".

The model is a versioned artefact in the data directory: written to a temporary
name and renamed, tagged with a format number and the scikit-learn version that
wrote it. A missing, corrupt or incompatible file is not an error: the model is
trained again (seconds) and the reason logged. Training and replacing the model
hold a file lock beside it (`classifier.lock`), so several workers starting at
once on a new installation train it once: the others wait, then load it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import pickle
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from random import Random

from sqlalchemy import Connection, select

from chartdesk.classify import seed
from chartdesk.classify.classifier import LinearTextClassifier, expected_calibration_error, macro_f1
from chartdesk.config import Settings
from chartdesk.db import class_corrections, documents, pages
from chartdesk.store import write_durably

log = logging.getLogger(__name__)

MODEL_FORMAT = 2  # 2: the temperature depends on the evidence (evidence_exponent)
CORRECTION_WEIGHT = 3.0  # a staff correction counts as much as three seed documents
HOLDOUT_SHARE = 0.2
PARTIAL_PAGES = 3  # partial pages cut from each held-out document for calibration
PARTIAL_SHARE = (0.15, 0.6)  # the share of a document's lines a partial page keeps


class ModelUnusable(Exception):
    """The model file cannot be used; `reason` says why (it is then retrained)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str
    weight: float = 1.0
    origin: str = "seed"  # seed | correction


@dataclass(frozen=True)
class TrainingReport:
    model_version: str
    trained_at: str
    seconds: float
    seed_documents: int
    corrections_used: dict[str, int]
    corrections_ignored: dict[str, int]
    untrained_classes: tuple[str, ...]
    heldout_documents: int
    heldout_accuracy: float
    heldout_macro_f1: float
    heldout_ece: float
    corrections_heldout_accuracy: float | None
    temperature: float
    evidence_exponent: float = 0.0
    per_class_recall: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def model_path(settings: Settings) -> Path:
    return settings.classify.model_file or settings.data_dir / "models" / "classifier.pkl"


def seed_examples(settings: Settings, *, per_class: int | None = None, rng_seed: int = 1) -> list[Example]:
    n = per_class or settings.classify.seed_per_class
    return [Example(s.text, s.label) for s in seed.generate(n, seed=rng_seed, classes=lambda c: c in settings.classes)]


def correction_examples(conn: Connection, settings: Settings) -> tuple[list[Example], dict[str, int]]:
    """Staff-corrected documents with their current text; classes with too few are left out."""
    rows = conn.execute(
        select(class_corrections.c.document_id, class_corrections.c.doc_class)
        .join(documents, documents.c.id == class_corrections.c.document_id)
        .where(documents.c.state != "destroyed")
    ).all()
    texts = _texts(conn, [r.document_id for r in rows])
    counts = Counter(r.doc_class for r in rows if texts.get(r.document_id) and r.doc_class in settings.classes)
    floor = settings.classify.min_corrections_per_class
    used = [Example(texts[r.document_id], r.doc_class, CORRECTION_WEIGHT, "correction")
            for r in rows if texts.get(r.document_id) and counts.get(r.doc_class, 0) >= floor]
    ignored = {c: n for c, n in counts.items() if n < floor}
    return used, ignored


def _texts(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for row in conn.execute(select(pages.c.document_id, pages.c.text).where(pages.c.document_id.in_(ids)).order_by(pages.c.document_id, pages.c.page_no)):
        out.setdefault(row.document_id, []).append(row.text)
    return {k: "\n".join(v) for k, v in out.items()}


def _split(examples: list[Example], rng: Random) -> tuple[list[Example], list[Example]]:
    shuffled = examples[:]
    rng.shuffle(shuffled)
    by_label: dict[str, list[Example]] = {}
    for ex in shuffled:
        by_label.setdefault(ex.label, []).append(ex)
    train, held = [], []
    for group in by_label.values():
        k = max(1, round(len(group) * HOLDOUT_SHARE)) if len(group) > 2 else 0
        held += group[:k]
        train += group[k:]
    return train, held


def train(settings: Settings, corrections: Iterable[Example] = (), ignored: dict[str, int] | None = None) -> tuple[LinearTextClassifier, TrainingReport]:
    """Train on the seed corpus and corrections; report on a held-out fifth, then refit on all."""
    started = time.monotonic()
    corrections = list(corrections)
    examples = seed_examples(settings) + corrections
    train_set, held = _split(examples, Random(7))
    version = _version(examples)
    model = LinearTextClassifier(version=version, max_chars=settings.classify.max_chars)
    model.fit([e.text for e in train_set], [e.label for e in train_set], [e.weight for e in train_set])
    calibration = held + partial_pages(held, Random(11))
    temperature, exponent = model.calibrate([e.text for e in calibration], [e.label for e in calibration])
    report_parts = _evaluate(model, held)
    final = LinearTextClassifier(version=version, max_chars=settings.classify.max_chars)
    final.fit([e.text for e in examples], [e.label for e in examples], [e.weight for e in examples])
    final.temperature, final.evidence_exponent = temperature, exponent
    report = TrainingReport(
        model_version=version, trained_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - started, 2), seed_documents=len(examples) - len(corrections),
        corrections_used=dict(Counter(e.label for e in corrections)), corrections_ignored=dict(ignored or {}),
        untrained_classes=tuple(c for c in settings.classes if c not in final.classes),
        heldout_documents=len(held), temperature=round(temperature, 4), evidence_exponent=round(exponent, 4), **report_parts,
    )
    return final, report


def partial_pages(examples: Sequence[Example], rng: Random) -> list[Example]:
    """PARTIAL_PAGES contiguous runs of lines cut from each example, with its label."""
    out = []
    for e in examples:
        lines = [line for line in e.text.splitlines() if line.strip()]
        for _ in range(PARTIAL_PAGES):
            k = max(1, round(len(lines) * rng.uniform(*PARTIAL_SHARE)))
            start = rng.randrange(max(1, len(lines) - k + 1))
            out.append(Example("\n".join(lines[start:start + k]), e.label, e.weight, e.origin))
    return out


def _evaluate(model: LinearTextClassifier, held: list[Example]) -> dict[str, object]:
    probs = model.probabilities([e.text for e in held])
    predicted = [model.classes[i] for i in probs.argmax(axis=1)]
    truth = [e.label for e in held]
    correct = [p == t for p, t in zip(predicted, truth, strict=True)]
    per_class = {c: round(sum(ok for ok, t in zip(correct, truth, strict=True) if t == c) / max(truth.count(c), 1), 4) for c in sorted(set(truth))}
    corr = [ok for ok, e in zip(correct, held, strict=True) if e.origin == "correction"]
    return {
        "heldout_accuracy": round(sum(correct) / max(len(held), 1), 4),
        "heldout_macro_f1": round(macro_f1(truth, predicted), 4),
        "heldout_ece": round(expected_calibration_error(probs.max(axis=1), correct), 4),
        "corrections_heldout_accuracy": round(sum(corr) / len(corr), 4) if corr else None,
        "per_class_recall": per_class,
    }


def _version(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(e.label.encode())
        digest.update(e.text.encode())
    return f"{seed.SEED_VERSION}-{digest.hexdigest()[:10]}"


# ---- the artefact ----


def save(path: Path, model: LinearTextClassifier, report: TrainingReport) -> None:
    import sklearn

    payload = {"format": MODEL_FORMAT, "sklearn": sklearn.__version__, "model": model, "report": report.as_dict()}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_durably(path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))  # a reader sees old or new


def load(path: Path) -> tuple[LinearTextClassifier, dict[str, object]]:
    import sklearn

    try:
        payload = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, in the 0700 data directory
    except FileNotFoundError:
        raise ModelUnusable("no model file yet") from None
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a corrupt file
        raise ModelUnusable(f"the model file is corrupt ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelUnusable("the model file has another format version")
    if payload.get("sklearn") != sklearn.__version__:
        raise ModelUnusable(f"the model was written by scikit-learn {payload.get('sklearn')}, this is {sklearn.__version__}")
    return payload["model"], payload.get("report", {})


def ensure(settings: Settings) -> LinearTextClassifier:
    """The trained model: loaded, or trained on the seed corpus now and saved.

    Only the process holding the training lock trains; one that finds it taken
    waits, then loads what the holder saved."""
    path = model_path(settings)
    try:
        return load(path)[0]
    except ModelUnusable:
        pass
    with training_lock(path):
        try:
            return load(path)[0]  # another process trained it while we waited
        except ModelUnusable as exc:
            if path.exists():
                log.warning("classifier model unusable (%s); training it again", exc.reason)
            else:
                log.info("training the document classifier on the seed corpus (first use, about 20 s)")
        model, report = train(settings)
        save(path, model, report)
        log.info("classifier trained: version %s, held-out accuracy %.3f in %.1fs", report.model_version, report.heldout_accuracy, report.seconds)
        return model


@contextmanager
def training_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on `<model>.lock` beside the model, across processes.

    The kernel releases it when its holder exits, even by a crash, so a worker
    killed mid-training leaves nothing to clean up: the next one trains."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_suffix(".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is training the document classifier; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def retrain(settings: Settings, conn_factory: object) -> TrainingReport:
    """Train on seed and corrections (read in one short transaction) and replace the model."""
    with conn_factory() as conn:  # type: ignore[operator]
        corrections, ignored = correction_examples(conn, settings)
    path = model_path(settings)
    with training_lock(path):
        model, report = train(settings, corrections, ignored)
        save(path, model, report)
    return report
