"""A small hand-written corpus for the SearchIndex contract tests.

Each document exists to exercise one behaviour; the tests name the ids they
expect. Patients: 101 Jane A. Doe (born 1961-03-04), 102 John Smith,
103 Maria Garcia, 200 a restricted chart (a staff member).
"""

from __future__ import annotations

import datetime as dt

from chartdesk.index import PAGE_BREAK, IndexDocument

JANE = ("DOE, JANE A",)
JANE_DOB = dt.date(1961, 3, 4)


def doc(doc_id: int, text: str, **kw: object) -> IndexDocument:
    fields: dict[str, object] = dict(
        doc_id=doc_id,
        text=text,
        title=f"document {doc_id}",
        doc_class="clinical_note",
        source="scan",
        inbox="scans",
        patient_id=102,
        patient_names=("Smith, John",),
        patient_birth_date=dt.date(1950, 7, 9),
        doc_date=dt.date(2026, 2, 1) + dt.timedelta(days=doc_id % 40),
        received=dt.date(2026, 3, 1) + dt.timedelta(days=doc_id % 28),
        labels=(),
        status="filed",
        chart_restricted=False,
    )
    fields.update(kw)
    return IndexDocument(**fields)  # type: ignore[arg-type]


def jane(doc_id: int, text: str, **kw: object) -> IndexDocument:
    base: dict[str, object] = dict(patient_id=101, patient_names=JANE, patient_birth_date=JANE_DOB)
    base.update(kw)
    return doc(doc_id, text, **base)


# The same birth date written seven ways, one per document (ids 20..26); 27 has a near miss.
DATE_FORMS = ("03/04/1961", "3/4/61", "1961-03-04", "March 4 1961", "4 March 1961", "04MAR1961", "Mar. 4, 1961")
DATE_DOCS = frozenset(range(20, 27))

HIDDEN_WORD = "zanzibar"  # only in the restricted chart's and the review document's text

CORPUS: tuple[IndexDocument, ...] = (
    jane(1, "Discharge summary. Admitted with acute myocardial infarction; troponin elevated.", doc_class="discharge_summary", source="fax", inbox="faxes"),
    doc(2, "Family history: father had a heart attack at sixty. Blood pressure stable."),
    jane(3, "Lab results: HbA1c 7.8 percent, fasting glucose 140.", doc_class="lab_result", labels=("urgent", "diabetes")),
    doc(4, "Hemoglobin A1c measured at 6.1 percent, follow up in three months.", doc_class="lab_result", patient_id=103, patient_names=("Garcia, Maria",)),
    doc(5, "CXR: no acute cardiopulmonary process.", doc_class="radiology"),
    doc(6, "Chest X-ray shows mild cardiomegaly.", doc_class="radiology", labels=("urgent",)),
    doc(7, "Referral to cardiology for palpitations and an abnormal EKG.", doc_class="referral", source="fax", inbox="faxes"),
    doc(8, "Echocardiogram consistent with dilated cardiomyopathy.", doc_class="radiology"),
    doc(9, "Electrocardiogram: sinus rhythm, rate 72.", doc_class="lab_result"),
    doc(10, "Assessment: primary hypothyroidism, continue levothyroxine.", source="dictation", inbox="dictation"),
    doc(11, "Pt with c0ngestive heart fai1ure, ank1e edema, on furosemide.", source="fax", inbox="faxes", doc_class=None, status="unclassified"),
    doc(12, "Known congestive heart failure, stable on current regimen.", labels=("chf",)),
    doc(13, f"Restricted chart: hemoglobin 13.2, {HIDDEN_WORD} holiday noted, myocardial infarction history.", patient_id=200, patient_names=("Nurse, Staff",), chart_restricted=True),
    doc(14, f"Awaiting review: hemoglobin 11.0, {HIDDEN_WORD} travel clinic.", status="review", doc_class=None, patient_id=None, patient_names=(), patient_birth_date=None),
    doc(15, "<script>alert('x')</script> potassium <b>high</b> & sodium low", doc_class="lab_result"),
    doc(16, PAGE_BREAK.join(["Cover sheet for fax.", "", "Page three mentions the zebrafinch allergy."]), source="fax", inbox="faxes"),
    jane(17, "Patient: DOE, JANE A. Seen for annual physical.", doc_class="clinical_note"),
    jane(18, "Progress note for jane a. doe, follow-up of blood pressure.", doc_class="clinical_note"),
    jane(19, "Note for Jayne Dough regarding immunisations.", doc_class="clinical_note", doc_date=None),
    *(doc(20 + i, f"Registration form. DOB: {form}. Address on file.", doc_class="registration") for i, form in enumerate(DATE_FORMS)),
    doc(27, "Registration form. DOB: 03/05/1961. Address on file.", doc_class="registration"),
    doc(28, "Urinary tract infection treated with nitrofurantoin.", source="upload", inbox=None),
    doc(29, "UTI symptoms resolved, culture negative.", source="upload", inbox=None),
    *(
        doc(
            40 + i,
            f"Routine followup visit number {i}.",
            patient_id=300 + i % 3,
            patient_names=(f"Patient{i % 3}, Test",),
            status=("filed", "review", "unclassified")[i % 3],
            doc_class=None if i % 3 == 2 else "clinical_note",
            chart_restricted=(i % 5 == 0),
            labels=("batch",) if i % 2 else (),
            source=("scan", "fax", "dictation", "upload")[i % 4],
        )
        for i in range(25)
    ),
)

BY_ID = {d.doc_id: d for d in CORPUS}
FOLLOWUP = frozenset(range(40, 65))
