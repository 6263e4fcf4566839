"""A bench-only corpus of office documents, each with the facts it is about.

Separate from tests/gen on purpose: the judged queries (queries.toml) are
written against the *facts* (a document is about congestive heart failure,
belongs to patient p07, reports an HbA1c), never against the wording, and this
generator varies the wording the way offices do: abbreviations, lay terms,
name layouts, date formats, a misspelt name, and, for faxes, real OCR noise
(the page is rendered, degraded like a 200 dpi fax and read by tesseract).

Deterministic from its seed. `make_corpus(n, seed, ocr=...)`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------- vocabulary

CONDITIONS: dict[str, tuple[str, ...]] = {
    "mi": ("myocardial infarction", "MI", "heart attack", "acute MI"),
    "chf": ("congestive heart failure", "CHF", "heart failure with reduced ejection fraction"),
    "htn": ("hypertension", "HTN", "high blood pressure"),
    "t2dm": ("type 2 diabetes", "T2DM", "type II diabetes", "diabetes mellitus type 2"),
    "copd": ("COPD", "chronic obstructive pulmonary disease"),
    "afib": ("atrial fibrillation", "AFib", "a-fib"),
    "uti": ("urinary tract infection", "UTI"),
    "pneumonia": ("pneumonia", "community acquired pneumonia", "right lower lobe pneumonia"),
    "hypothyroid": ("hypothyroidism", "primary hypothyroidism"),
    "asthma": ("asthma", "moderate persistent asthma"),
    "ckd": ("chronic kidney disease", "CKD", "CKD stage 3"),
    "gerd": ("GERD", "gastroesophageal reflux disease", "acid reflux"),
    "dvt": ("deep vein thrombosis", "DVT"),
    "stroke": ("stroke", "CVA", "cerebrovascular accident"),
    "osa": ("obstructive sleep apnea", "OSA"),
    "oa": ("osteoarthritis", "degenerative joint disease"),
    "migraine": ("migraine", "migraine headaches"),
    "anemia": ("iron deficiency anemia", "anemia"),
    "depression": ("depression", "major depressive disorder"),
    "gout": ("gout", "acute gouty arthritis"),
}
TESTS: dict[str, tuple[str, ...]] = {
    "a1c": ("HbA1c", "hemoglobin A1c", "A1c"),
    "cbc": ("CBC", "complete blood count"),
    "tsh": ("TSH", "thyroid stimulating hormone"),
    "bmp": ("BMP", "basic metabolic panel"),
    "lipid": ("lipid panel", "fasting lipid profile"),
    "cxr": ("chest x-ray", "CXR", "chest radiograph"),
    "ekg": ("EKG", "ECG", "electrocardiogram"),
    "echo": ("echocardiogram", "transthoracic echo"),
    "mri": ("MRI", "magnetic resonance imaging"),
    "ct": ("CT scan", "computed tomography"),
}
LAB_TESTS = ("a1c", "cbc", "tsh", "bmp", "lipid")
IMAGING = ("cxr", "ekg", "echo", "mri", "ct")
SPECIALTY = {
    "mi": "cardiology", "chf": "cardiology", "afib": "cardiology", "htn": "cardiology",
    "t2dm": "endocrinology", "hypothyroid": "endocrinology", "copd": "pulmonology", "asthma": "pulmonology",
    "osa": "sleep medicine", "ckd": "nephrology", "uti": "urology", "gerd": "gastroenterology",
    "dvt": "vascular surgery", "stroke": "neurology", "migraine": "neurology", "oa": "orthopedics",
    "anemia": "hematology", "depression": "psychiatry", "gout": "rheumatology", "pneumonia": "pulmonology",
}
MEDS = {
    "mi": "aspirin and atorvastatin", "chf": "furosemide and carvedilol", "htn": "lisinopril",
    "t2dm": "metformin", "copd": "tiotropium", "afib": "apixaban", "uti": "nitrofurantoin",
    "pneumonia": "azithromycin", "hypothyroid": "levothyroxine", "asthma": "albuterol as needed",
    "ckd": "dose-adjusted medications", "gerd": "omeprazole", "dvt": "rivaroxaban", "stroke": "clopidogrel",
    "osa": "CPAP nightly", "oa": "acetaminophen", "migraine": "sumatriptan", "anemia": "ferrous sulfate",
    "depression": "sertraline", "gout": "colchicine",
}
FILLER = (
    "Vital signs reviewed.", "No known drug allergies.", "Patient tolerated the visit well.",
    "Heart rate regular, lungs clear to auscultation.", "Denies chest pain or fever.",
    "Return to clinic as scheduled.", "Medication list reconciled.", "Questions answered.",
    "Labs to be repeated as needed.", "Weight stable since last visit.", "Will follow up by phone.",
    "Counseled on diet and exercise.", "Alert and oriented times three.", "No acute distress.",
)

# The roster: fixed, so judged queries can name patients. id, given, middle, family, born.
ROSTER: tuple[tuple[str, str, str, str, dt.date], ...] = tuple(
    (f"p{i:02d}", given, middle, family, born)
    for i, (given, middle, family, born) in enumerate(
        [
            ("Jane", "A", "Doe", dt.date(1961, 3, 4)), ("John", "R", "Smith", dt.date(1950, 7, 9)),
            ("Maria", "L", "Garcia", dt.date(1978, 11, 23)), ("Robert", "J", "Johnson", dt.date(1945, 1, 30)),
            ("Linda", "M", "Williams", dt.date(1969, 5, 12)), ("Michael", "T", "Brown", dt.date(1983, 9, 2)),
            ("Patricia", "K", "Jones", dt.date(1957, 12, 17)), ("David", "E", "Miller", dt.date(1991, 4, 8)),
            ("Barbara", "S", "Davis", dt.date(1940, 6, 25)), ("James", "P", "Wilson", dt.date(1972, 2, 14)),
            ("Susan", "C", "Moore", dt.date(1966, 10, 3)), ("William", "H", "Taylor", dt.date(1959, 8, 19)),
            ("Jessica", "N", "Anderson", dt.date(1995, 3, 27)), ("Richard", "B", "Thomas", dt.date(1948, 11, 5)),
            ("Karen", "D", "Jackson", dt.date(1974, 7, 21)), ("Joseph", "F", "White", dt.date(1962, 1, 9)),
            ("Nancy", "G", "Harris", dt.date(1953, 4, 15)), ("Thomas", "W", "Martin", dt.date(1987, 12, 1)),
            ("Lisa", "R", "Thompson", dt.date(1970, 9, 30)), ("Charles", "A", "Robinson", dt.date(1944, 5, 6)),
            ("Sandra", "V", "Clark", dt.date(1981, 2, 11)), ("Daniel", "O", "Rodriguez", dt.date(1976, 6, 18)),
            ("Ashley", "E", "Lewis", dt.date(1999, 8, 24)), ("Matthew", "L", "Lee", dt.date(1964, 3, 4)),
            ("Donna", "J", "Walker", dt.date(1951, 10, 29)), ("Anthony", "M", "Hall", dt.date(1985, 1, 13)),
            ("Emily", "S", "Allen", dt.date(1993, 7, 7)), ("Mark", "D", "Young", dt.date(1967, 4, 22)),
            ("Michelle", "K", "Hernandez", dt.date(1979, 12, 12)), ("Steven", "C", "King", dt.date(1958, 9, 16)),
            ("Dorothy", "I", "Wright", dt.date(1938, 2, 2)), ("Paul", "T", "Lopez", dt.date(1973, 5, 31)),
            ("Kimberly", "A", "Hill", dt.date(1988, 10, 10)), ("Andrew", "R", "Scott", dt.date(1960, 6, 6)),
            ("Carol", "B", "Green", dt.date(1947, 8, 8)), ("Joshua", "N", "Adams", dt.date(1997, 11, 19)),
            ("Amanda", "P", "Baker", dt.date(1984, 3, 3)), ("Kenneth", "G", "Gonzalez", dt.date(1955, 12, 28)),
            ("Melissa", "H", "Nelson", dt.date(1982, 4, 4)), ("Kevin", "W", "Carter", dt.date(1971, 1, 20)),
        ]
    )
)

DATE_STYLES = ("%m/%d/%Y", "{m}/{d}/{yy}", "%Y-%m-%d", "%B {d} %Y", "{d} %B %Y", "%d%b%Y", "%b. {d}, %Y")
NAME_LAYOUTS = ("{F}, {G} {M}", "{g} {f}", "{g} {m}. {f}", "{G} {F}", "{f}, {g}")


@dataclass(frozen=True)
class CorpusDoc:
    doc_id: int
    text: str
    doc_class: str
    source: str
    patient: str
    patient_name: str  # "Family, Given" as the chart has it
    birth: dt.date
    doc_date: dt.date
    received: dt.date
    condition: str | None = None
    history: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    noisy: bool = False
    facts: dict[str, object] = field(default_factory=dict)

    def fact_values(self, key: str) -> set[str]:
        """The values of one judged fact (queries.toml criteria keys)."""
        return {
            "condition": {self.condition} if self.condition else set(),
            "history": set(self.history),
            "mentions": ({self.condition} if self.condition else set()) | set(self.history),
            "test": set(self.tests),
            "patient": {self.patient},
            "doc_class": {self.doc_class},
            "source": {self.source},
            "birth": {self.birth.isoformat()},
            "doc_date": {self.doc_date.isoformat()},
        }[key]


def write_date(value: dt.date, rng: random.Random) -> str:
    style = rng.choice(DATE_STYLES)
    return value.strftime(style.format(d=value.day, m=value.month, yy=f"{value.year % 100:02d}"))


def write_name(given: str, middle: str, family: str, rng: random.Random, *, misspell: bool = False) -> str:
    if misspell:
        family = family[:-1] + ("e" if family[-1] != "e" else "a") + family[-1:]
    layout = rng.choice(NAME_LAYOUTS)
    return layout.format(F=family.upper(), G=given.upper(), M=middle, g=given, m=middle, f=family)


def _form(rng: random.Random, forms: tuple[str, ...]) -> str:
    return rng.choice(forms)


def _body(kind: str, cond: str | None, history: tuple[str, ...], tests: tuple[str, ...], rng: random.Random, date: str) -> list[str]:
    c = _form(rng, CONDITIONS[cond]) if cond else ""
    hx = ", ".join(_form(rng, CONDITIONS[h]) for h in history)
    t = [_form(rng, TESTS[x]) for x in tests]
    lines: list[str] = []
    if kind == "lab_result":
        lines.append(f"LABORATORY REPORT  Collected: {date}")
        lines += [f"{name}: {rng.choice(['within normal limits', 'abnormal, see comment', 'flagged high', '7.4 %', '4.1 mIU/L'])}" for name in t]
        lines.append(f"Clinical indication: {c}." if c else "Clinical indication: routine screening.")
    elif kind == "radiology":
        lines.append(f"IMAGING REPORT  Exam date: {date}  Exam: {t[0] if t else 'chest x-ray'}")
        lines.append(f"Impression: findings consistent with {c}." if c else "Impression: no acute process.")
    elif kind == "discharge_summary":
        lines.append(f"DISCHARGE SUMMARY  Admitted: {date}")
        lines.append(f"Principal diagnosis: {c}. Treated with {MEDS[cond]}." if cond else "Observation only.")
        if t:
            lines.append("Studies: " + ", ".join(t) + ".")
    elif kind == "referral":
        lines.append(f"REFERRAL  Date: {date}  To: {SPECIALTY.get(cond or '', 'internal medicine')}")
        lines.append(f"Reason for referral: {c}, please evaluate and advise." if c else "Reason: second opinion.")
    elif kind == "clinical_note":
        lines.append(f"PROGRESS NOTE  Visit: {date}")
        lines.append(f"Follow-up of {c}, currently on {MEDS[cond]}." if cond else "Annual physical examination.")
        if t:
            lines.append("Ordered: " + ", ".join(t) + ".")
    elif kind == "registration":
        lines.append(f"NEW PATIENT REGISTRATION  Date: {date}")
        lines.append("Insurance card copied. Emergency contact on file. Consent to treat signed.")
    else:  # eob
        lines.append(f"EXPLANATION OF BENEFITS  Statement date: {date}")
        lines.append("Claim processed. " + (f"Service: {t[0]}. " if t else "Service: office visit. ") + "Patient responsibility: $35.00")
    if hx:
        lines.append(f"Past medical history: {hx}.")
    lines += rng.sample(FILLER, k=rng.randint(2, 5))
    return lines


KINDS = ("lab_result", "radiology", "discharge_summary", "referral", "clinical_note", "registration", "eob")
KIND_WEIGHTS = (5, 3, 2, 3, 6, 1, 1)


def _one(doc_id: int, rng: random.Random) -> CorpusDoc:
    pid, given, middle, family, born = rng.choice(ROSTER)
    kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
    cond = None if kind in ("registration", "eob") or rng.random() < 0.1 else rng.choice(sorted(CONDITIONS))
    history = tuple(sorted(set(rng.sample(sorted(CONDITIONS), k=rng.choice((0, 0, 1, 2)))) - {cond}))
    tests = _tests_for(kind, rng)
    day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(600))
    source = "dictation" if kind == "clinical_note" and rng.random() < 0.4 else rng.choices(("fax", "scan", "upload"), weights=(3, 3, 1))[0]
    name = write_name(given, middle, family, rng, misspell=rng.random() < 0.08)
    header = [f"Patient: {name}   DOB: {write_date(born, rng)}"]
    text = "\n".join(header + _body(kind, cond, history, tests, rng, write_date(day, rng)))
    return CorpusDoc(
        doc_id=doc_id, text=text, doc_class=kind, source=source, patient=pid, patient_name=f"{family}, {given} {middle}",
        birth=born, doc_date=day, received=day + dt.timedelta(days=rng.randint(0, 5)),
        condition=cond, history=history, tests=tests, noisy=source == "fax",
    )


def _tests_for(kind: str, rng: random.Random) -> tuple[str, ...]:
    if kind == "lab_result":
        return tuple(sorted(rng.sample(LAB_TESTS, k=rng.randint(1, 2))))
    if kind == "radiology":
        return (rng.choice(IMAGING),)
    if kind in ("clinical_note", "discharge_summary", "eob") and rng.random() < 0.4:
        return (rng.choice(LAB_TESTS + IMAGING),)
    return ()


def make_corpus(n: int, seed: int = 7, *, ocr: bool = False, cache: Path | None = None) -> list[CorpusDoc]:
    """`n` documents; with `ocr`, fax documents carry tesseract's reading of a degraded render."""
    rng = random.Random(seed)
    docs = [_one(i, rng) for i in range(1, n + 1)]
    if ocr:
        reader = FaxReader(cache or Path(os.environ.get("TMPDIR", "/tmp")) / "chartdesk-bench-ocr")
        docs = [reader.degrade(d) if d.noisy else d for d in docs]
    return docs


def iter_fast(n: int, seed: int = 11) -> Iterator[CorpusDoc]:
    """Documents for the speed bench, streamed (no OCR)."""
    rng = random.Random(seed)
    for i in range(1, n + 1):
        yield _one(i, rng)


# ---------------------------------------------------------------- real OCR noise


class FaxReader:
    """Render a document like a 200 dpi fax, speckle and blur it, and OCR it with tesseract."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self._api = None

    def degrade(self, doc: CorpusDoc) -> CorpusDoc:
        key = hashlib.sha256(f"v1|{doc.text}".encode()).hexdigest()[:32]
        cached = self.cache / f"{key}.txt"
        if cached.exists():
            text = cached.read_text(encoding="utf-8")
        else:
            text = self._ocr(doc.text, seed=doc.doc_id)
            cached.write_text(text, encoding="utf-8")
        return CorpusDoc(**{**doc.__dict__, "text": text})

    def _ocr(self, text: str, *, seed: int) -> str:
        import tesserocr

        if self._api is None:
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")
            self._api = tesserocr.PyTessBaseAPI(path="/usr/share/tesseract-ocr/5/tessdata", lang="eng")
        image = _fax_image(text, seed)
        self._api.SetImage(image)
        self._api.SetSourceResolution(200)
        return self._api.GetUTF8Text()


def _fax_image(text: str, seed: int):  # noqa: ANN202
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = np.random.default_rng(seed)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 22)
    lines = [chunk for line in text.splitlines() for chunk in _wrap(line, 95)]
    page = Image.new("L", (1700, 80 + 34 * len(lines)), 255)
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(lines):
        draw.text((60, 40 + 34 * n), line, font=font, fill=0)
    # fax "normal" mode: half the vertical resolution, then blur, speckle and a hard threshold
    page = page.resize((page.width, page.height // 2)).resize((page.width, page.height))
    page = page.filter(ImageFilter.GaussianBlur(1.1))
    pixels = np.asarray(page, dtype=np.float32) + rng.normal(0, 38, (page.height, page.width))
    return Image.fromarray(np.where(pixels > 150, 255, 0).astype(np.uint8)).convert("1")


def _wrap(line: str, width: int) -> list[str]:
    words, out, current = line.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return out + [current] if current else out or [""]
