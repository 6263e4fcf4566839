"""The shipped classifier: trained on the seed corpus, judged on documents it has
not seen (another random seed), robust to OCR damage, calibrated, and a
versioned artefact that is retrained when it cannot be used."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from random import Random

import pytest

from chartdesk import classify
from chartdesk.classify import (
    LinearTextClassifier,
    TrainingReport,
    expected_calibration_error,
    macro_f1,
)
from chartdesk.classify.seed import generate
from chartdesk.classify.seed.noise import damage
from chartdesk.classify.training import MODEL_FORMAT
from tests.conftest import make_settings

Trained = tuple[Path, LinearTextClassifier, TrainingReport]


def test_training_report_is_honest(trained: Trained) -> None:
    _, model, report = trained
    assert report.heldout_documents >= 13 * 20
    assert report.heldout_accuracy >= 0.97 and report.heldout_macro_f1 >= 0.97
    assert report.untrained_classes == ()
    assert set(model.classes) == set(classify.train.__globals__["seed"].BUILDERS)


def test_unseen_seed_documents_with_heavy_ocr_damage(trained: Trained) -> None:
    _, model, _ = trained
    rng = Random(5)
    samples = list(generate(12, seed=4242))
    texts = [damage(s.text, rng, 0.08) for s in samples]
    preds = [model.predict(t) for t in texts]
    truth = [s.label for s in samples]
    assert macro_f1(truth, [p.doc_class for p in preds]) >= 0.93
    ece = expected_calibration_error([p.confidence for p in preds], [p.doc_class == t for p, t in zip(preds, truth, strict=True)])
    assert ece <= 0.08


def test_prediction_explains_itself(trained: Trained) -> None:
    _, model, _ = trained
    c = model.predict("EXPLANATION OF BENEFITS  THIS IS NOT A BILL  Claim number 123  Amount you may owe  Deductible  Coinsurance")
    assert c.doc_class == "explanation_of_benefits"
    assert c.evidence and c.ranking[0][0] == "explanation_of_benefits"
    assert abs(sum(p for _, p in c.ranking) - 1) < 0.05 or c.ranking[0][1] > 0.5


def test_predicting_several_texts_at_once_gives_each_its_own_answer(trained: Trained) -> None:
    """Given a fax's first page and the whole fax, when both are classified in one pass
    (as the classify stage does), then each gets exactly what predicting it alone gives:
    class, confidence, ranking and evidence."""
    _, model, _ = trained
    rng = Random(8)
    texts = [damage(s.text, rng, 0.05) for s in generate(2, seed=99)][:12]
    texts += ["", "WORK NOTE: may return to work on Monday", texts[0] + "\n" + texts[1]]
    assert model.predict_many(texts) == [model.predict(t) for t in texts]
    assert model.predict(texts[0]).evidence == model.explain(texts[0], model.predict(texts[0]).doc_class)


def test_corrupt_or_foreign_model_file_is_retrained(tmp_path: Path, trained: Trained, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"not a pickle")
    settings = make_settings(tmp_path, classify={"model_file": str(path), "seed_per_class": 30})
    with caplog.at_level(logging.WARNING):
        model = classify.ensure(settings)
    assert "corrupt" in caplog.text
    assert classify.load(path)[0].version == model.version
    path.write_bytes(pickle.dumps({"format": MODEL_FORMAT - 1, "sklearn": "0.0.1", "model": None}))
    with pytest.raises(classify.ModelUnusable, match="another format version"):
        classify.load(path)
    path.write_bytes(pickle.dumps({"format": MODEL_FORMAT, "sklearn": "0.0.1", "model": None}))
    with pytest.raises(classify.ModelUnusable, match="scikit-learn 0.0.1"):
        classify.load(path)


def test_few_familiar_words_are_not_a_confident_class(trained: Trained) -> None:
    """Given a short office paper in wording the seed corpus does not use, with
    one clinical word in it, then the classifier is unsure (it goes to review),
    while whole seed documents it has not seen stay confidently classified."""
    _, model, report = trained
    assert report.evidence_exponent > 0
    short = model.predict("Harbourside Supply Ltd\nQUOTATION 4471\nExam gloves, ten cartons: $212.00\nPrices hold for 14 days.")
    assert short.confidence < 0.8
    whole = [model.predict(s.text) for s in generate(4, seed=777)]
    assert sorted(p.confidence for p in whole)[len(whole) // 2] > 0.95
    assert sum(p.doc_class == s.label for p, s in zip(whole, generate(4, seed=777), strict=True)) >= len(whole) - 1
