"""Held-out templates: one per class, written independently of the seed corpus's,
with their own headings, field words, letterheads, name and date styles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any


@dataclass(frozen=True)
class Person:
    family: str
    given: str
    middle: str
    dob: dt.date
    mrn: str
    phone: str
    member_id: str


_ORGS = ("Tri-County Health Partners", "Northshore Clinicians Collective", "St. Aldric Infirmary", "Bluewater Family Practice",
         "Pioneer Valley Internists", "Copperline Specialty Care", "Heronsgate Medical", "Ridgeview Wellness Group")
_DOCS = ("Ingrid Solberg MD", "Dr. Tomasz Wrobel", "Priyanka Raman, DO", "Dr. Felix Achterberg", "Lorraine Okoye, NP",
         "Dr Marcus Feldt", "Yvette Camara MD", "Dr. Olan Breckenridge")


class Writer:
    def __init__(self, r: Random) -> None:
        self.r = r

    def one(self, *xs: str) -> str:
        return self.r.choice(xs)

    def day(self, lo: int = 2020, hi: int = 2025) -> dt.date:
        return dt.date.fromordinal(self.r.randint(dt.date(lo, 1, 1).toordinal(), dt.date(hi, 5, 28).toordinal()))

    def date(self, d: dt.date) -> str:
        style = self.r.randrange(6)
        return (f"{d.day} {d.strftime('%b')} {d.year}", d.strftime("%m.%d.%Y"), d.strftime("%Y/%m/%d"),
                f"{d.strftime('%B')} {d.day}{_suffix(d.day)}, {d.year}", d.strftime("%d-%b-%Y").upper(), f"{d.month:02d}/{d.day:02d}/{d.year}")[style]

    def name(self, p: Person) -> str:
        style = self.r.randrange(5)
        return (f"{p.family.upper()}, {p.given.upper()}", f"{p.given} {p.middle}. {p.family}", f"{p.family}, {p.given} {p.middle}",
                f"{p.given.upper()} {p.family.upper()}", f"{p.given} {p.family}")[style]

    def org(self) -> str:
        return self.r.choice(_ORGS)

    def doc(self) -> str:
        return self.r.choice(_DOCS)

    def head(self) -> str:
        o = self.org()
        return self.one(f"{o}\n{self.r.randint(100, 999)} Harbor Way Suite {self.r.randint(1, 40)}\nT {self.r.randint(201, 989)}.555.{self.r.randint(1000, 9999)}",
                        f"*** {o.upper()} ***", f"{o} | clinical services | ph {self.r.randint(201, 989)}-555-{self.r.randint(1000, 9999)}")

    def ident(self, p: Person, *, mrn: bool = True) -> str:
        label = self.one("Patient Name", "Name of Patient", "Pt", "Patient", "Client")
        dob = self.one("Birthdate", "DOB", "Date of Birth", "D.O.B")
        parts = [f"{label}: {self.name(p)}", f"{dob}: {self.date(p.dob)}"]
        if mrn and self.r.random() < 0.6:
            parts.append(f"{self.one('MRN', 'Med Rec No.', 'Chart No.', 'Patient ID')}: {p.mrn}")
        return self.one("  |  ", "\n", "     ").join(parts)


def _suffix(d: int) -> str:
    return "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


Build = Callable[[Writer, Any, dict[str, Any]], str]


def _clin(w: Writer, extra: dict[str, Any]) -> str:
    return f"Dr. {extra['clinician']}" if extra.get("clinician") else w.doc()


def _also(w: Writer, extra: dict[str, Any]) -> str:
    o = extra.get("also")
    return f"\nAlso discussed: family member {o.given} {o.family}, born {w.date(o.dob)}, seen the same day." if o else ""


def lab(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    rows = w.r.sample([("HGB", "13.1 g/dL", "11.5-15.5"), ("WBC", "7.2 K/uL", "4.0-10.5"), ("NA", "139 mEq/L", "136-145"),
                       ("K", "4.6 mEq/L", "3.6-5.2"), ("GLU", "112 mg/dL", "70-99 H"), ("CREAT", "0.9 mg/dL", "0.5-1.1"),
                       ("TSH", "2.1 mIU/L", "0.45-4.5"), ("A1C", "6.1 %", "<5.7"), ("LDL-C", "131 mg/dL", "<100 H")], 5)
    body = "\n".join(f"{a:<8}{b:<14}{c}" for a, b, c in rows)
    return (f"{w.head()}\nSPECIMEN RESULTS — {w.one('Chemistry', 'Hematology', 'General Panel')}\n{w.ident(p)}\n"
            f"Drawn {w.date(w.day())}  Resulted {w.date(w.day())}\nRequested by {_clin(w, extra)}\n{body}\n"
            f"Values outside reference interval are marked. Performing site: {w.org()} Lab.{_also(w, extra)}")


def referral(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\n{w.date(w.day())}\n\nTo {w.doc()}\n\nSubject: {p.given} {p.family}, born {w.date(p.dob)}\n\n"
            f"Dear colleague,\nI am asking you to assess {p.given} {p.family}, who has had {w.one('intermittent palpitations', 'worsening hip pain', 'a thyroid nodule', 'recurrent sinusitis')} "
            f"over the past months. {w.one('Investigations so far are attached.', 'She would prefer an afternoon appointment.', 'He is on warfarin.')}"
            f"{_also(w, extra)}\nWith thanks,\n{_clin(w, extra)}")


def card(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    sub = extra.get("subscriber")
    lines = [w.one("Evergreen Mutual Health", "Cobalt Care Insurance", "Prairie Shield Plans"), w.one("PPO Network", "Select HMO", "Silver EPO")]
    if sub:
        lines.append(f"Policyholder: {sub.given.upper()} {sub.family.upper()}  DOB {w.date(sub.dob)}")
        lines.append(f"Dependent: {p.given.upper()} {p.family.upper()}")
        lines.append(f"ID# {p.member_id}-02   Grp {w.r.randint(1000, 9999)}")
    else:
        lines.append(f"Member: {p.given.upper()} {p.middle} {p.family.upper()}")
        lines.append(f"Member ID {p.member_id}   Group {w.r.randint(1000, 9999)}")
        if w.r.random() < 0.5:
            lines.append(f"DOB {w.date(p.dob)}")
    lines += [f"Office copay ${w.r.choice((15, 25, 35))}  Urgent care ${w.r.choice((50, 75))}", "Rx BIN 610014  PCN 9999",
              f"Members call 1-800-555-{w.r.randint(1000, 9999)}"]
    return "\n".join(lines)


def eob(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.one('Evergreen Mutual Health', 'Cobalt Care Insurance')}\nBENEFITS STATEMENT — NOT A BILL\n"
            f"Prepared for: {w.name(p)}   Member ID {p.member_id}\nClaim {w.r.randint(10**7, 10**8)} received {w.date(w.day())}\n"
            f"Provider {_clin(w, extra)}\nService   Amount charged   Plan discount   Plan paid   Your share\n"
            f"Office visit   $210.00   $88.10   $97.50   $24.40\nYour share is applied to your annual deductible.{_also(w, extra)}")


def consent(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\nAGREEMENT TO {w.one('PROCEDURE', 'ANESTHESIA', 'VACCINATION', 'TREATMENT')}\n{w.ident(p, mrn=False)}\n"
            f"I, {p.given} {p.family}, agree to undergo {w.one('a skin biopsy', 'a knee aspiration', 'sedation for endoscopy')} by {_clin(w, extra)}. "
            "The possible complications, other options and what happens if I decline were explained, and my questions answered. "
            f"I know I can change my mind before it starts.\nSignature ______________  Dated {w.date(w.day())}\nWitnessed by ______________")


def rx(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\nOUTPATIENT MEDICATION ORDER\n{w.ident(p, mrn=False)}\nIssued {w.date(w.day())}\n"
            f"{w.one('Doxycycline 100 mg cap', 'Sumatriptan 50 mg tab', 'Pantoprazole 40 mg tab', 'Rosuvastatin 10 mg tab')}\n"
            f"Directions: {w.one('one capsule twice a day for 7 days', 'one tablet at onset of migraine, may repeat once', 'one tablet every morning')}\n"
            f"Quantity {w.r.randint(10, 90)}   Repeats {w.r.randint(0, 3)}   Brand medically necessary: no\nPrescriber: {_clin(w, extra)}  NPI {w.r.randint(10**9, 10**10 - 1)}")


def imaging(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\nDEPARTMENT OF RADIOLOGY\n{w.ident(p)}\nStudy: {w.one('US pelvis transvaginal', 'CT chest low dose screening', 'XR left wrist 3 views', 'MR brain with and without gadolinium')}\n"
            f"Performed {w.date(w.day())}   Requesting clinician {_clin(w, extra)}\nHistory: {w.one('pain', 'screening', 'fall on outstretched hand')}\n"
            f"Observations: {w.one('No fracture or dislocation.', 'A 4 mm solid nodule in the right upper lobe.', 'Normal enhancement pattern, no restricted diffusion.')}\n"
            f"Conclusion: {w.one('Normal examination.', 'Lung-RADS 2. Annual screening.', 'No acute abnormality.')}\nRead by {w.doc()}")


def progress(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\nCLINIC ENCOUNTER NOTE\n{w.ident(p)}\nEncounter date {w.date(w.day())}   Clinician {_clin(w, extra)}\n"
            f"Reason for visit: {w.one('follow-up of diabetes', 'new cough', 'blood pressure check', 'medication review')}\n"
            f"Interval history: {w.one('doing well on current regimen', 'two weeks of productive cough without fever', 'home readings 140s systolic')}.\n"
            f"Examination: {w.one('chest clear, no wheeze', 'BP 142/88, pulse 72 regular', 'feet: monofilament sensation intact')}.\n"
            f"Assessment/plan: {w.one('continue metformin, repeat A1c in 3 months', 'supportive care, return if worse', 'increase amlodipine to 10 mg')}.{_also(w, extra)}")


def superbill(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\nFEE TICKET\n{w.ident(p)}\nVisit {w.date(w.day())}   Carrier {w.one('Cobalt Care', 'Evergreen Mutual')}  Policy {p.member_id}\n"
            f"[x] 99214 est. pt moderate   $185\n[x] 36415 blood draw   $18\n[ ] 93000 ECG   $60\nDx: I10, E78.5\n"
            f"Billing provider {_clin(w, extra)}  TIN 84-{w.r.randint(1000000, 9999999)}\nTotal $203  Collected today $25")


def roi(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\nPERMISSION TO SHARE MY HEALTH RECORDS\n{w.ident(p, mrn=False)}\n"
            f"I allow {w.org()} to send copies of my {w.one('visit notes and test results', 'entire chart', 'immunization history')} to "
            f"{w.one('Harlow & Finch Attorneys', 'my new doctor', 'Granite State Life Assurance', 'myself')} for the purpose of {w.one('a lawsuit', 'ongoing care', 'an insurance application')}.\n"
            "This permission ends in twelve months unless I cancel it sooner in writing. Refusing to sign will not affect my care.\n"
            f"Signed ______________  {w.date(w.day())}")


def cover(w: Writer, p: Any, extra: dict[str, Any]) -> str:
    return (f"{w.head()}\n{w.one('FACSIMILE COVER', 'FAX TRANSMITTAL', 'TELECOPY')}\nDeliver to: {w.doc()}\nSent by: {w.org()}\n"
            f"Receiving fax: {w.r.randint(201, 989)}-555-{w.r.randint(1000, 9999)}\nSheets in this transmission: {w.r.randint(2, 12)}\n"
            f"Sent {w.date(w.day())}\nThe attached pages are confidential health information. If this reached you by mistake, "
            "phone the sender and shred the pages.")


def discharge(w: Writer, p: Person, extra: dict[str, Any]) -> str:
    a = w.day()
    return (f"{w.org()} — Inpatient Services\nSUMMARY OF HOSPITAL STAY\n{w.ident(p)}\nAdmitted {w.date(a)}   Released {w.date(a + dt.timedelta(days=w.r.randint(1, 9)))}\n"
            f"Responsible physician {_clin(w, extra)}\nWhy admitted: {w.one('cellulitis of the leg', 'COPD exacerbation', 'syncope')}\n"
            f"What happened: {w.one('IV antibiotics, improved', 'nebulisers and steroids, weaned to room air', 'telemetry unremarkable')}.\n"
            f"Going home on: {w.one('cefalexin 500 mg four times daily', 'prednisolone taper', 'no new medicines')}\nSee your family doctor within 7 days.")


def other(w: Writer, p: Any, extra: dict[str, Any]) -> str:
    return w.one(f"{w.head()}\nBREAK ROOM RULES\nLabel your food. The fridge is cleared every Friday at 4 pm.",
                 f"{w.org()}\nVENDOR QUOTE #{w.r.randint(100, 999)}\nExam table paper, 12 rolls: $64.80\nValid 30 days.",
                 f"{w.head()}\nNEWSLETTER — {w.one('Spring', 'Autumn')} edition\nOur new parking garage opens next month. Flu clinics run Saturdays.",
                 f"{w.org()}\nTIMESHEET CORRECTION\nEmployee number {w.r.randint(1000, 9999)}\nHours on {w.date(w.day())} should read 7.5.")


BUILDERS: dict[str, Build] = {
    "lab_result": lab, "referral_letter": referral, "insurance_card": card, "explanation_of_benefits": eob,
    "consent_form": consent, "prescription": rx, "imaging_report": imaging, "progress_note": progress, "superbill": superbill,
    "release_of_information_request": roi, "fax_cover_sheet": cover, "discharge_summary": discharge, "other": other,
}
