"""The seed corpus the shipped classifier is trained on.

Generated, not collected: every document is invented from varied templates,
letterheads and wording per class, and a share is damaged as OCR damages bad
scans and faxes. Deterministic for a given seed. Separate from the test corpus
(tests/gen) and from the held-out benchmark set (bench/heldout), which this
package must never import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from random import Random

from chartdesk.classify.seed import administrative as A
from chartdesk.classify.seed import clinical as C
from chartdesk.classify.seed.builders import Builder, Gen, Person
from chartdesk.classify.seed.noise import damage

SEED_VERSION = "seed-1"

BUILDERS: dict[str, tuple[Builder, ...]] = {
    "lab_result": (C.lab_result,),
    "referral_letter": (C.referral_letter, C.referral_letter, C.dictated_letter),
    "insurance_card": (A.insurance_card,),
    "explanation_of_benefits": (A.explanation_of_benefits,),
    "consent_form": (A.consent_form,),
    "prescription": (C.prescription,),
    "imaging_report": (C.imaging_report,),
    "progress_note": (C.progress_note, C.progress_note, C.dictated_note),
    "superbill": (A.superbill,),
    "release_of_information_request": (A.release_of_information_request,),
    "fax_cover_sheet": (A.fax_cover_sheet,),
    "discharge_summary": (C.discharge_summary,),
    "other": (A.other,),
}


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    label: str
    person: Person
    noise: float


def _noise_level(rng: Random) -> float:
    roll = rng.random()
    return 0.0 if roll < 0.35 else rng.uniform(0.005, 0.03) if roll < 0.75 else rng.uniform(0.03, 0.09)


def generate(per_class: int, *, seed: int = 1, classes: Callable[[str], bool] | None = None) -> Iterator[Sample]:
    """`per_class` documents of every built-in class (those `classes` accepts)."""
    rng = Random(seed)
    g = Gen(rng)
    for label, builders in BUILDERS.items():
        if classes is not None and not classes(label):
            continue
        for i in range(per_class):
            person = g.person()
            text = builders[i % len(builders)](g, person)
            level = _noise_level(rng)
            yield Sample(damage(text, rng, level), label, person, level)


__all__ = ["BUILDERS", "SEED_VERSION", "Sample", "generate"]
