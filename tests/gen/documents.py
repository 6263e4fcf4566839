"""Text content of the documents a medical office receives, with ground truth.

Each generator returns a `Document`: a list of layout-free blocks (letterhead,
headings, label/value fields, paragraphs, tables) naming one patient and dated,
plus the facts a later stage should find (patient, DOB as printed, MRN, date,
document kind). `Document.text` is the ground-truth text in reading order;
`render.layout()` turns the blocks into pages and records each page's truth.

Deterministic: `make_document(kind, seed)` gives the same document every time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.gen.people import (
    DATE_STYLES,
    Clinician,
    Patient,
    Practice,
    Roster,
    format_date,
    roster,
)

# ---------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True)
class Letterhead:
    name: str
    lines: tuple[str, ...]
    align: str = "left"  # left | center | right

    def truth(self) -> list[str]:
        return [self.name, *self.lines]


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    size: float = 14

    def truth(self) -> list[str]:
        return [self.text]


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs, one per line, or two per line when `columns` is 2."""

    pairs: tuple[tuple[str, str], ...]
    columns: int = 1

    def rows(self) -> list[tuple[tuple[str, str], ...]]:
        step = self.columns
        return [self.pairs[i:i + step] for i in range(0, len(self.pairs), step)]

    def truth(self) -> list[str]:
        return [" ".join(f"{k}: {v}" for k, v in row) for row in self.rows()]


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    bold: bool = False

    def truth(self) -> list[str]:
        return [self.text]


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width
    ruled: bool = True

    def truth(self) -> list[str]:
        return [" ".join(c for c in row if c) for row in (self.header, *self.rows)]


@dataclass(frozen=True, slots=True)
class Box:
    """A framed card (an insurance card copied onto a page)."""

    lines: tuple[str, ...]
    width: float = 0.62  # fraction of the text width

    def truth(self) -> list[str]:
        return list(self.lines)


@dataclass(frozen=True, slots=True)
class Spacer:
    height: float = 10

    def truth(self) -> list[str]:
        return []


Block = Letterhead | Heading | Fields | Paragraph | Table | Box | Spacer


@dataclass(frozen=True, slots=True)
class Style:
    font: str = "Helvetica"  # Helvetica | Times-Roman | Courier
    size: float = 10.5
    margin: float = 54  # points
    footer: bool = True  # "Page 1 of 2" at the foot of each page

    @property
    def bold(self) -> str:
        return {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[self.font]


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    title: str
    patient: Patient
    clinician: Clinician
    date: dt.date
    date_text: str  # the document date as printed
    dob_text: str  # the date of birth as printed
    blocks: tuple[Block, ...]
    style: Style
    seed: int
    facts: dict[str, str] = field(default_factory=dict)  # other ground truth (MRN, exam...)

    @property
    def text(self) -> str:
        """Ground truth in reading order (without page footers)."""
        return "\n".join(line for block in self.blocks for line in block.truth())


KINDS = (
    "lab_result",
    "referral_letter",
    "progress_note",
    "prescription",
    "imaging_report",
    "discharge_summary",
    "insurance_card",
    "eob",
    "consent_form",
    "fax_cover",
)

# ---------------------------------------------------------------- shared pieces


def _letterhead(rng: random.Random, practice: Practice) -> Letterhead:
    lines = [practice.address.line1, practice.address.line2]
    lines.append(rng.choice((f"Tel {practice.phone}  Fax {practice.fax}",
                             f"Phone: {practice.phone} | Fax: {practice.fax}",
                             f"T: {practice.phone}   F: {practice.fax}")))
    return Letterhead(practice.name, tuple(lines), rng.choice(("left", "center", "center", "right")))


def _dob_label(rng: random.Random) -> str:
    return rng.choice(("DOB", "Date of Birth", "D.O.B.", "Birth Date"))


def _patient_fields(rng: random.Random, doc: _Ctx, *, extra: tuple[tuple[str, str], ...] = ()) -> Fields:
    p = doc.patient
    name = rng.choice((p.full_name, p.formal_name))
    record = p.mrn_digits if p.mrn.startswith("MRN") else p.mrn
    pairs = [("Patient", name), (_dob_label(rng), doc.dob_text), ("MRN", record), *extra]
    if rng.random() < 0.5:
        pairs.append(("Sex", p.sex))
    return Fields(tuple(pairs), columns=rng.choice((1, 1, 2)))


@dataclass(slots=True)
class _Ctx:
    """Per-document choices shared by the block builders."""

    rng: random.Random
    patient: Patient
    clinician: Clinician
    other: Clinician
    date: dt.date
    date_text: str
    dob_text: str


# ---------------------------------------------------------------- lab result

_ANALYTES = {
    "Complete Blood Count": (
        ("WBC", 4.0, 11.0, "x10^3/uL", 1), ("RBC", 4.2, 5.9, "x10^6/uL", 2), ("Hemoglobin", 12.0, 17.5, "g/dL", 1),
        ("Hematocrit", 36.0, 52.0, "%", 1), ("MCV", 80, 100, "fL", 0), ("Platelets", 150, 400, "x10^3/uL", 0),
    ),
    "Comprehensive Metabolic Panel": (
        ("Glucose", 70, 99, "mg/dL", 0), ("BUN", 7, 20, "mg/dL", 0), ("Creatinine", 0.6, 1.3, "mg/dL", 2),
        ("Sodium", 135, 145, "mmol/L", 0), ("Potassium", 3.5, 5.1, "mmol/L", 1), ("Chloride", 98, 107, "mmol/L", 0),
        ("CO2", 22, 29, "mmol/L", 0), ("Calcium", 8.6, 10.3, "mg/dL", 1), ("ALT", 7, 56, "U/L", 0),
        ("AST", 10, 40, "U/L", 0), ("Albumin", 3.5, 5.0, "g/dL", 1), ("eGFR", 60, 120, "mL/min/1.73m2", 0),
    ),
    "Lipid Panel": (
        ("Total Cholesterol", 100, 199, "mg/dL", 0), ("Triglycerides", 40, 149, "mg/dL", 0),
        ("HDL Cholesterol", 40, 90, "mg/dL", 0), ("LDL Cholesterol", 40, 99, "mg/dL", 0),
    ),
    "Endocrine": (
        ("TSH", 0.45, 4.5, "uIU/mL", 2), ("Free T4", 0.8, 1.8, "ng/dL", 2), ("Hemoglobin A1c", 4.0, 5.6, "%", 1),
    ),
}


def _lab_rows(rng: random.Random, panel: str) -> list[tuple[str, ...]]:
    rows = []
    for name, low, high, unit, places in _ANALYTES[panel]:
        span = high - low
        value = rng.uniform(low - 0.25 * span, high + 0.3 * span)
        flag = "H" if value > high else "L" if value < low else ""
        fmt = f"{{:.{places}f}}"
        rows.append((name, fmt.format(value), flag, unit, f"{fmt.format(low)}-{fmt.format(high)}"))
    return rows


def lab_result(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    lab = c.other.practice
    panels = rng.sample(sorted(_ANALYTES), k=rng.randint(2, 4))
    collected = c.date - dt.timedelta(days=rng.randint(0, 2))
    title = rng.choice(("LABORATORY REPORT", "Laboratory Results", "FINAL REPORT", "Clinical Laboratory Report"))
    blocks: list[Block] = [
        _letterhead(rng, lab),
        Heading(title),
        _patient_fields(rng, c, extra=(
            ("Collected", format_date(collected, "us")),
            ("Reported", c.date_text),
            ("Ordering Physician", c.clinician.display),
            ("Accession", f"{rng.choice('LQCX')}{rng.randrange(10**8):08d}"),
        )),
        Spacer(8),
    ]
    header = rng.choice((("Test", "Result", "Flag", "Units", "Reference Range"),
                         ("Analyte", "Value", "Flag", "Units", "Ref. Interval")))
    for panel in panels:
        blocks.append(Paragraph(panel.upper(), bold=True))
        blocks.append(Table(header, tuple(_lab_rows(rng, panel)), (0.30, 0.14, 0.08, 0.22, 0.26),
                            ruled=rng.random() < 0.85))
        blocks.append(Spacer(6))
    blocks.append(Paragraph(rng.choice((
        "Results flagged H or L fall outside the reference interval for this laboratory.",
        "Reference ranges are age and sex specific. Interpret results in clinical context.",
    ))))
    blocks.append(Paragraph(f"Electronically verified by {c.other.display}, Laboratory Director."))
    return title, blocks


# ---------------------------------------------------------------- letters and notes

_REASONS = (
    ("chest pain on exertion", "Cardiology", "an exercise stress test and echocardiogram"),
    ("poorly controlled type 2 diabetes", "Endocrinology", "review of insulin therapy"),
    ("persistent right knee pain after a fall", "Orthopaedics", "assessment for a meniscal tear"),
    ("iron deficiency anaemia with a positive stool test", "Gastroenterology", "colonoscopy"),
    ("a rising creatinine over six months", "Nephrology", "assessment of chronic kidney disease"),
    ("chronic cough and shortness of breath", "Pulmonology", "pulmonary function testing"),
    ("recurrent migraine with aura", "Neurology", "review of preventive treatment"),
)

_MEDS = (
    ("Metformin", "500 mg", "tablet", "Take 1 tablet by mouth twice daily with meals", 60),
    ("Lisinopril", "10 mg", "tablet", "Take 1 tablet by mouth once daily", 30),
    ("Atorvastatin", "40 mg", "tablet", "Take 1 tablet by mouth at bedtime", 90),
    ("Amoxicillin", "500 mg", "capsule", "Take 1 capsule by mouth three times daily for 10 days", 30),
    ("Levothyroxine", "75 mcg", "tablet", "Take 1 tablet by mouth every morning on an empty stomach", 90),
    ("Albuterol HFA", "90 mcg/actuation", "inhaler", "Inhale 2 puffs every 4 to 6 hours as needed for wheeze", 1),
    ("Sertraline", "50 mg", "tablet", "Take 1 tablet by mouth once daily", 30),
    ("Omeprazole", "20 mg", "capsule", "Take 1 capsule by mouth daily before breakfast", 30),
)


def referral_letter(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    reason, specialty, ask = rng.choice(_REASONS)
    p = c.patient
    pronoun = "She" if p.sex == "F" else "He"
    title = "Referral"
    blocks: list[Block] = [
        _letterhead(rng, c.clinician.practice),
        Paragraph(c.date_text),
        Paragraph(f"{c.other.display}, {specialty}"),
        Paragraph(c.other.practice.name),
        Spacer(6),
        Paragraph(f"Re: {rng.choice((p.full_name, p.formal_name))}, {_dob_label(rng)} {c.dob_text}, {p.mrn}", bold=True),
        Spacer(4),
        Paragraph(f"Dear {c.other.doctor},"),
        Paragraph(rng.choice((
            f"Thank you for seeing {p.full_name}, who has been under my care for {reason}.",
            f"I would be grateful if you could see this patient of ours regarding {reason}.",
            f"I am writing to refer {p.full_name} to your clinic with {reason}.",
        ))),
        Paragraph(f"{pronoun} reports symptoms for about {rng.randint(2, 14)} weeks. Current medications include "
                  f"{rng.choice(_MEDS)[0]} and {rng.choice(_MEDS)[0]}. Allergies: "
                  f"{rng.choice(('none known', 'penicillin (rash)', 'sulfa drugs', 'latex'))}."),
        Paragraph(f"I would appreciate your opinion and {ask}. Recent laboratory results are enclosed. "
                  f"Please contact our office at {c.clinician.practice.phone} with any questions."),
        Spacer(6),
        Paragraph(rng.choice(("Sincerely,", "Kind regards,", "Yours sincerely,", "With thanks,"))),
        Spacer(14),
        Paragraph(c.clinician.display),
        Paragraph(f"{c.clinician.specialty}, NPI {c.clinician.npi}"),
    ]
    return title, blocks


def progress_note(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    reason, _, _ = rng.choice(_REASONS)
    title = rng.choice(("PROGRESS NOTE", "Office Visit Note", "Clinic Note", "Follow-up Visit"))
    bp = f"{rng.randint(104, 162)}/{rng.randint(62, 98)}"
    med = rng.choice(_MEDS)
    blocks: list[Block] = [
        _letterhead(rng, c.clinician.practice),
        Heading(title),
        _patient_fields(rng, c, extra=(("Visit Date", c.date_text), ("Provider", c.clinician.display))),
        Spacer(6),
        Paragraph("Subjective:", bold=True),
        Paragraph(f"Patient presents for follow-up of {reason}. Reports {rng.choice(('improvement', 'no change', 'worsening'))} "
                  f"since the last visit. Sleeping {rng.randint(4, 9)} hours a night. Denies fever or weight loss."),
        Paragraph("Objective:", bold=True),
        Paragraph(f"BP {bp} mmHg, HR {rng.randint(52, 104)} bpm, Temp {rng.uniform(97.2, 99.6):.1f} F, "
                  f"SpO2 {rng.randint(93, 100)}%, Weight {rng.randint(110, 260)} lb. Lungs clear. Heart regular."),
        Paragraph("Assessment:", bold=True),
        Paragraph(f"1. {reason.capitalize()}. 2. {rng.choice(('Hypertension, controlled', 'Hyperlipidaemia', 'Obesity, BMI 31', 'Vitamin D deficiency'))}."),
        Paragraph("Plan:", bold=True),
        Paragraph(f"Continue {med[0]} {med[1]}. Repeat labs in {rng.choice(('4 weeks', '3 months', '6 months'))}. "
                  f"Return to clinic in {rng.randint(2, 12)} weeks or sooner if symptoms change."),
        Spacer(10),
        Paragraph(f"Electronically signed by {c.clinician.display} on {c.date_text}"),
    ]
    return title, blocks


def prescription(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    p = c.patient
    title = "Prescription"
    count = rng.randint(1, 3)
    blocks: list[Block] = [
        _letterhead(rng, c.clinician.practice),
        Heading(rng.choice(("Rx", "PRESCRIPTION", "Prescription"))),
        Fields((("Name", p.full_name), (_dob_label(rng), c.dob_text), ("Address", p.address.one_line),
                ("Date", c.date_text))),
        Spacer(8),
    ]
    for name, strength, form, sig, qty in rng.sample(_MEDS, k=count):
        blocks += [
            Paragraph(f"{name} {strength} {form}", bold=True),
            Paragraph(f"Sig: {sig}"),
            Paragraph(f"Disp: #{qty}   Refills: {rng.randint(0, 5)}"),
            Spacer(6),
        ]
    blocks += [
        Paragraph(rng.choice(("Substitution permitted", "Dispense as written", "Generic substitution allowed"))),
        Spacer(16),
        Paragraph(f"Prescriber: {c.clinician.display}"),
        Paragraph(f"NPI {c.clinician.npi}   DEA {rng.choice('ABFM')}{c.clinician.family[0].upper()}{rng.randrange(10**7):07d}"),
    ]
    return title, blocks


_EXAMS = (
    ("CT CHEST WITHOUT CONTRAST", "Chronic cough.", "Axial images of the chest were obtained without intravenous contrast.",
     "The lungs are clear without focal consolidation. No pleural effusion or pneumothorax. A 4 mm nodule is seen in the right upper lobe.",
     "No acute cardiopulmonary process. 4 mm right upper lobe nodule; no follow-up needed in a low-risk patient."),
    ("MRI RIGHT KNEE WITHOUT CONTRAST", "Knee pain after a fall.", "Multiplanar multisequence images of the right knee.",
     "There is a horizontal tear of the posterior horn of the medial meniscus. The cruciate ligaments are intact. Small joint effusion.",
     "Tear of the posterior horn of the medial meniscus. Small joint effusion."),
    ("XR CHEST 2 VIEWS", "Shortness of breath.", "PA and lateral views of the chest.",
     "Heart size is normal. The lungs are clear. No pleural effusion. Degenerative changes of the thoracic spine.",
     "No acute cardiopulmonary abnormality."),
    ("US ABDOMEN COMPLETE", "Abnormal liver enzymes.", "Real-time sonography of the abdomen.",
     "The liver is enlarged at 18 cm with increased echogenicity. Gallbladder without stones. Kidneys normal in size.",
     "Hepatomegaly with hepatic steatosis."),
)


def imaging_report(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    exam, history, technique, findings, impression = rng.choice(_EXAMS)
    title = rng.choice(("RADIOLOGY REPORT", "Diagnostic Imaging Report", "IMAGING REPORT"))
    blocks: list[Block] = [
        _letterhead(rng, c.other.practice),
        Heading(title),
        _patient_fields(rng, c, extra=(("Exam Date", c.date_text), ("Referring", c.clinician.display))),
        Spacer(6),
        Paragraph(f"EXAM: {exam}", bold=True),
        Paragraph(f"CLINICAL HISTORY: {history}"),
        Paragraph(f"COMPARISON: {rng.choice(('None.', 'Prior study dated ' + format_date(c.date - dt.timedelta(days=400), 'us') + '.'))}"),
        Paragraph(f"TECHNIQUE: {technique}"),
        Paragraph(f"FINDINGS: {findings}"),
        Paragraph(f"IMPRESSION: {impression}", bold=True),
        Spacer(10),
        Paragraph(f"Dictated and electronically signed by {c.other.display}, Radiologist, {c.date_text}."),
    ]
    return title, blocks


_COURSE = (
    "The patient was admitted through the emergency department with {reason}. Initial vital signs were notable for "
    "a heart rate of {hr} and a blood pressure of {bp}. Laboratory studies on admission showed a white cell count of "
    "{wbc} and a creatinine of {cr}. Blood cultures were drawn and empirical antibiotics were started.",
    "On hospital day two the patient improved clinically and was transitioned to oral therapy. Physical therapy "
    "evaluated the patient and recommended discharge home with outpatient follow-up. Diet was advanced as tolerated.",
    "Home medications were reviewed and reconciled. The patient and family were educated about warning signs that "
    "should prompt a return to the emergency department, including fever, chest pain, or shortness of breath.",
    "Pain was controlled with acetaminophen. There were no falls or new pressure injuries during the stay. The "
    "patient ambulated independently in the hallway before discharge and tolerated a regular diet.",
    "Consultations were obtained from the relevant specialty services, whose recommendations were followed. "
    "Repeat laboratory studies before discharge were stable and the patient remained afebrile for 48 hours.",
)


def discharge_summary(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    reason, _, _ = rng.choice(_REASONS)
    admitted = c.date - dt.timedelta(days=rng.randint(2, 9))
    title = rng.choice(("DISCHARGE SUMMARY", "Hospital Discharge Summary"))
    course = [
        Paragraph(t.format(reason=reason, hr=rng.randint(88, 128), bp=f"{rng.randint(90, 170)}/{rng.randint(50, 100)}",
                           wbc=f"{rng.uniform(4, 19):.1f}", cr=f"{rng.uniform(0.6, 2.8):.2f}"))
        for t in _COURSE
    ]
    meds = rng.sample(_MEDS, k=rng.randint(3, 6))
    blocks: list[Block] = [
        _letterhead(rng, c.other.practice),
        Heading(title),
        _patient_fields(rng, c, extra=(("Admitted", format_date(admitted, "us")), ("Discharged", c.date_text),
                                       ("Attending", c.other.display), ("PCP", c.clinician.display))),
        Spacer(6),
        Paragraph("DISCHARGE DIAGNOSES", bold=True),
        Paragraph(f"1. {reason.capitalize()}. 2. {rng.choice(('Acute kidney injury, resolved', 'Dehydration', 'Community-acquired pneumonia'))}."),
        Paragraph("HOSPITAL COURSE", bold=True),
        *course,
        *rng.sample(course, k=2),
        Paragraph("DISCHARGE MEDICATIONS", bold=True),
        Table(("Medication", "Dose", "Instructions"),
              tuple((m[0], m[1], m[3]) for m in meds), (0.22, 0.18, 0.60), ruled=False),
        Spacer(6),
        Paragraph("FOLLOW-UP", bold=True),
        Paragraph(f"See {c.clinician.display} within {rng.randint(3, 14)} days. Call {c.clinician.practice.phone} to schedule."),
        Spacer(10),
        Paragraph(f"Electronically signed: {c.other.display} {c.date_text}"),
    ]
    return title, blocks


def insurance_card(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    p = c.patient
    title = "Insurance card"
    plan = rng.choice(("PPO", "HMO", "EPO", "POS", "Choice Plus", "Gold 80"))
    lines = (
        p.insurer.upper(),
        f"Plan: {plan}",
        f"Member: {p.full_name.upper()}",
        f"Member ID: {p.member_id}",
        f"Group No: {p.group_no}",
        f"PCP: {c.clinician.family.upper()}, {c.clinician.given[0]}",
        f"Copay: PCP ${rng.choice((10, 20, 25, 30))} Spec ${rng.choice((40, 50, 60))} ER ${rng.choice((150, 250, 350))}",
        f"RxBIN {rng.randrange(10**5, 10**6)} RxPCN {rng.choice(('ADV', 'CTRXCARE', 'WGRX', 'A4'))}",
    )
    blocks: list[Block] = [
        Paragraph(rng.choice(("Copy of insurance card (front)", "Insurance card - front", "Scanned at front desk")), bold=True),
        Paragraph(f"Patient {p.full_name}  {_dob_label(rng)} {c.dob_text}"),
        Spacer(10),
        Box(lines),
    ]
    return title, blocks


def eob(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    p = c.patient
    title = "Explanation of Benefits"
    rows = []
    for i in range(rng.randint(2, 5)):
        billed = rng.uniform(80, 1400)
        allowed = billed * rng.uniform(0.35, 0.8)
        paid = allowed * rng.uniform(0.6, 0.9)
        service = rng.choice(("Office visit 99214", "Lipid panel 80061", "CBC 85025", "Chest x-ray 71046",
                              "Echocardiogram 93306", "Flu vaccine 90686", "ECG 93000"))
        dos = format_date(c.date - dt.timedelta(days=30 + 3 * i), "us")
        rows.append((dos, service, f"${billed:,.2f}", f"${allowed:,.2f}", f"${paid:,.2f}", f"${allowed - paid:,.2f}"))
    blocks: list[Block] = [
        Letterhead(p.insurer, ("Claims Department", "PO Box " + str(rng.randrange(1000, 99999)), "Member Services 1-800-555-0199"),
                   "left"),
        Heading(rng.choice(("EXPLANATION OF BENEFITS", "Explanation of Benefits"))),
        Paragraph("THIS IS NOT A BILL", bold=True),
        Fields((("Member", p.full_name), ("Member ID", p.member_id), ("Group", p.group_no), ("Statement Date", c.date_text),
                ("Claim Number", f"{rng.randrange(10**11):011d}"), ("Provider", c.clinician.practice.name)), columns=2),
        Spacer(8),
        Table(("Date", "Service", "Billed", "Allowed", "Plan Paid", "You Owe"), tuple(rows),
              (0.14, 0.28, 0.14, 0.14, 0.15, 0.15), ruled=rng.random() < 0.7),
        Spacer(8),
        Paragraph("If you disagree with this decision you may appeal within 180 days of the date of this statement. "
                  "Keep this notice for your records."),
    ]
    return title, blocks


def consent_form(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    p = c.patient
    variant = rng.randrange(2)
    title = ("CONSENT FOR TREATMENT", "AUTHORIZATION FOR RELEASE OF HEALTH INFORMATION")[variant]
    body = (
        (f"I, {p.full_name}, voluntarily consent to medical treatment and procedures by the physicians and staff of "
         f"{c.clinician.practice.name}. I understand that no guarantee has been made as to the results of any treatment."),
        ("I authorize the release of my medical records, including laboratory results and imaging reports, to "
         f"{c.other.practice.name} for the purpose of continuing care. This authorization expires one year from the date signed."),
    )[variant]
    blocks: list[Block] = [
        _letterhead(rng, c.clinician.practice),
        Heading(title, 13),
        Fields((("Patient Name", p.full_name), (_dob_label(rng), c.dob_text), ("MRN", p.mrn_digits))),
        Spacer(6),
        Paragraph(body),
        Paragraph("I have had the opportunity to ask questions and all of my questions have been answered. I understand "
                  "that I may revoke this consent in writing at any time, except where action has already been taken."),
        Paragraph("I acknowledge that I have received a copy of the Notice of Privacy Practices."),
        Spacer(18),
        Paragraph("Signature of patient or guardian: ______________________"),
        Paragraph(f"Date: {c.date_text}"),
        Paragraph(f"Witness: {c.clinician.display}"),
    ]
    return title, blocks


def fax_cover(c: _Ctx) -> tuple[str, list[Block]]:
    rng = c.rng
    p = c.patient
    title = "Fax cover sheet"
    pages = rng.randint(2, 9)
    blocks: list[Block] = [
        _letterhead(rng, c.other.practice),
        Heading(rng.choice(("FAX", "FACSIMILE TRANSMITTAL", "Fax Cover Sheet")), 22),
        Spacer(8),
        Fields((("To", c.clinician.display), ("Fax", c.clinician.practice.fax), ("From", c.other.display),
                ("Phone", c.other.practice.phone), ("Date", c.date_text), ("Pages", f"{pages} including cover"),
                ("Re", f"{p.full_name}, {_dob_label(rng)} {c.dob_text}"))),
        Spacer(8),
        Paragraph(rng.choice(("Please find attached the records you requested.", "Results enclosed for your review.",
                              "Urgent: please review and call us back today."))),
        Spacer(12),
        Paragraph("CONFIDENTIALITY NOTICE: This facsimile contains protected health information that is privileged "
                  "and confidential. If you are not the intended recipient, any review, disclosure, copying or "
                  "distribution is prohibited. If you received this fax in error, please notify the sender by "
                  "telephone and destroy all copies.", bold=False),
    ]
    return title, blocks


_BUILDERS: dict[str, Callable[[_Ctx], tuple[str, list[Block]]]] = {
    "lab_result": lab_result,
    "referral_letter": referral_letter,
    "progress_note": progress_note,
    "prescription": prescription,
    "imaging_report": imaging_report,
    "discharge_summary": discharge_summary,
    "insurance_card": insurance_card,
    "eob": eob,
    "consent_form": consent_form,
    "fax_cover": fax_cover,
}


def make_document(kind: str, seed: int = 0, *, people: Roster | None = None) -> Document:
    """A deterministic document of `kind` (one of KINDS) about a patient from the roster."""
    if kind not in _BUILDERS:
        raise ValueError(f"unknown document kind {kind!r}; choose from {', '.join(KINDS)}")
    people = people or roster(0)
    rng = random.Random(f"{kind}-{seed}")
    patient = rng.choice(people.patients)
    clinician, other = rng.sample(people.clinicians, k=2)
    date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 800))
    ctx = _Ctx(rng, patient, clinician, other, date, format_date(date, rng.choice(DATE_STYLES)),
               format_date(patient.birth_date, rng.choice(DATE_STYLES)))
    style = Style(font=rng.choice(("Helvetica", "Helvetica", "Times-Roman", "Courier")),
                  size=rng.choice((10, 10.5, 11, 12)), margin=rng.choice((50, 54, 64, 72)),
                  footer=kind not in ("insurance_card", "fax_cover"))
    title, blocks = _BUILDERS[kind](ctx)
    facts = {"mrn": patient.mrn, "mrn_digits": patient.mrn_digits, "member_id": patient.member_id}
    return Document(kind, title, patient, clinician, date, ctx.date_text, ctx.dob_text, tuple(blocks), style, seed, facts)
