"""The document-class classifier: TF-IDF over words and characters, logistic regression,
temperature-scaled so its confidence is a calibrated probability.

Character n-grams (within words) carry the classifier through OCR damage
("EXPLANATION QF BENEITS" still shares most of its trigrams with the real
words); word n-grams carry the wording. Numbers are folded to 0 so dates and
values do not become features. The temperature is fitted on documents the
model did not train on, so a confidence of 0.9 means right about 9 times in 10.

The temperature depends on the evidence: T = temperature * n ** -evidence_exponent,
where n is the number of the document's words and word pairs the model knows.
TF-IDF rows are normalised, so a four-line note whose only familiar word is
"exam" reaches the same logits as a full page of clinical wording; one fixed
temperature, fitted on whole seed documents the model separates perfectly,
made such a note "progress_note, 1.000". With the evidence term a page of
familiar wording stays sharp and a few familiar words stay uncertain.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # scikit-learn takes about a second to import: loaded when a model is built or used
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

ENGINE = "tfidf-logreg"


@dataclass(frozen=True, slots=True)
class Classification:
    doc_class: str
    confidence: float
    ranking: tuple[tuple[str, float], ...]  # best first, top 3
    evidence: tuple[str, ...]  # the features that weighed most for the class
    model_version: str

    def provenance(self) -> dict[str, object]:
        return {"engine": ENGINE, "model": self.model_version, "class": self.doc_class, "confidence": round(self.confidence, 4)}


class Classifier(Protocol):
    version: str
    classes: tuple[str, ...]

    def predict(self, text: str) -> Classification: ...

    def predict_many(self, texts: Sequence[str]) -> list[Classification]: ...


_NUM = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def prepare(text: str, max_chars: int = 6000) -> str:
    """Lower case, digits folded to 0, whitespace collapsed, first `max_chars` characters."""
    return _SPACE.sub(" ", _NUM.sub("0", text[:max_chars].lower())).strip()


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def _features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=60_000, sublinear_tf=True,
                            token_pattern=r"(?u)\b[a-z][a-z]+\b")
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, max_features=120_000, sublinear_tf=True)
    return FeatureUnion([("words", words), ("chars", chars)])


@dataclass
class LinearTextClassifier:
    """The built-in engine. Picklable; `version` names the training run."""

    version: str
    max_chars: int = 6000
    C: float = 8.0
    temperature: float = 1.0  # at one known word; see evidence_exponent
    evidence_exponent: float = 0.0  # 0: one temperature for every document
    classes: tuple[str, ...] = ()
    features: FeatureUnion = field(default_factory=_features)
    model: LogisticRegression | None = None
    sklearn_version: str = field(default_factory=_sklearn_version)
    _feature_cache: np.ndarray | None = field(default=None, repr=False, compare=False)

    def _names(self) -> np.ndarray:
        if self._feature_cache is None:
            self._feature_cache = _feature_names(self.features)
        return self._feature_cache

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_feature_cache"] = None
        return state

    def fit(self, texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None) -> LinearTextClassifier:
        x = self.features.fit_transform([prepare(t, self.max_chars) for t in texts])
        from sklearn.linear_model import LogisticRegression

        self.model = LogisticRegression(C=self.C, max_iter=3000)
        self.model.fit(x, list(labels), sample_weight=None if weights is None else np.asarray(weights))
        self.classes = tuple(str(c) for c in self.model.classes_)
        return self

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return self._scores(texts)[0]

    def _scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The logits and the evidence (known words and word pairs, at least 1) of each text."""
        z, evidence, _ = self._scored(texts)
        return z, evidence

    def _scored(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
        """The logits, the evidence and the feature rows (kept for `explain`) of each text."""
        assert self.model is not None, "fit first"
        x = self.features.transform([prepare(t, self.max_chars) for t in texts]).tocsr()
        n_words = len(self.features.transformer_list[0][1].vocabulary_)  # the word block comes first
        evidence = np.maximum(x[:, :n_words].getnnz(axis=1), 1).astype(float)
        return self.model.decision_function(x), evidence, x

    def temperatures(self, evidence: np.ndarray) -> np.ndarray:
        return self.temperature * evidence ** -self.evidence_exponent

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        z, evidence = self._scores(texts)
        return _softmax(z / self.temperatures(evidence)[:, None])

    def calibrate(self, texts: Sequence[str], labels: Sequence[str]) -> tuple[float, float]:
        """Fit the temperature and its evidence exponent on held-out documents
        (minimum negative log-likelihood); more evidence never makes it less sure."""
        z, evidence = self._scores(texts)
        y = np.array([self.classes.index(label) for label in labels])
        log_n = np.log(evidence)

        def nll(params: np.ndarray) -> float:
            t = np.exp(params[0] - params[1] * log_n)
            p = _softmax(z / t[:, None])
            return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))))

        from scipy.optimize import minimize

        fitted = minimize(nll, np.array([0.0, 0.3]), method="L-BFGS-B", bounds=[(math.log(0.05), math.log(20.0)), (0.0, 2.0)])
        self.temperature, self.evidence_exponent = float(np.exp(fitted.x[0])), float(fitted.x[1])
        return self.temperature, self.evidence_exponent

    def predict(self, text: str) -> Classification:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Classification]:
        """`predict` for several texts, their features computed once, in one pass."""
        z, evidence, x = self._scored(texts)
        probs = _softmax(z / self.temperatures(evidence)[:, None])
        return [self._classification(p, x[i]) for i, p in enumerate(probs)]

    def _classification(self, probs: np.ndarray, row: sparse.csr_matrix) -> Classification:
        order = np.argsort(-probs)
        best = self.classes[order[0]]
        ranking = tuple((self.classes[i], round(float(probs[i]), 4)) for i in order[:3])
        return Classification(best, float(probs[order[0]]), ranking, self._explain_row(row, best), self.version)

    def explain(self, text: str, doc_class: str, top: int = 8) -> tuple[str, ...]:
        """The features of this text that pushed most towards `doc_class`."""
        x = self.features.transform([prepare(text, self.max_chars)]).tocsr()
        return self._explain_row(x, doc_class, top)

    def _explain_row(self, x: sparse.csr_matrix, doc_class: str, top: int = 8) -> tuple[str, ...]:
        assert self.model is not None
        row = self.model.coef_[self.classes.index(doc_class)] if len(self.classes) > 2 else self.model.coef_[0]
        contrib = x.multiply(row).tocsr()
        names = self._names()
        idx = contrib.indices[np.argsort(-contrib.data)][:top * 3]
        out: list[str] = []
        for i in idx:
            name = names[i].split("__", 1)[-1].strip()
            if name and name not in out and not any(name in o for o in out):
                out.append(name)
            if len(out) == top:
                break
        return tuple(out)


def _feature_names(features: FeatureUnion) -> np.ndarray:
    return features.get_feature_names_out()


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: the mean gap between confidence and accuracy over equal-width bins, weighted by size."""
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=float)
    total = 0.0
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        mask = (conf > lo) & (conf <= hi) if i else (conf >= lo) & (conf <= hi)
        if mask.any():
            total += mask.sum() * abs(conf[mask].mean() - ok[mask].mean())
    return total / max(len(conf), 1)


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(truth), list(predicted), average="macro"))


def log_loss_bits(p: float) -> float:
    return -math.log2(max(p, 1e-12))
