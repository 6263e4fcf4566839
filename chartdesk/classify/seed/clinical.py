"""Seed builders for clinical documents."""

from __future__ import annotations

from chartdesk.classify.seed import vocab as V
from chartdesk.classify.seed.builders import Gen, Person


def lab_result(g: Gen, p: Person) -> str:
    lab = g.r.choice(V.LAB_NAMES)
    title = g.pick("LABORATORY REPORT", "Lab Results", "FINAL REPORT", "Laboratory Test Results",
                   "Clinical Laboratory Report", "RESULTS REPORT", "Cumulative Lab Report", "Test Results")
    collected = g.date()
    head = [g.letterhead(lab), g.case(title), g.patient_block(p)]
    meta = [g.field(g.pick("Collected", "Collection Date", "Date Collected", "Specimen Collected"), g.fmt_date(collected)),
            g.field(g.pick("Reported", "Report Date", "Resulted", "Date Reported"), g.fmt_date(collected)),
            g.field(g.pick("Ordering Physician", "Ordered By", "Provider", "Requesting Provider"), g.clinician())]
    if g.chance(0.6):
        meta.append(g.field(g.pick("Accession #", "Specimen ID", "Lab ID", "Req #"), f"{g.r.choice('ABCDEFGHKLMNPRS')}{g.r.randint(10**6, 10**8)}"))
    if g.chance(0.5):
        meta.append(g.field("Specimen", g.r.choice(V.SPECIMENS)))
    g.r.shuffle(meta)
    body = [g.case(g.r.choice(V.PANELS))]
    if g.chance(0.7):
        body.append(g.pick("Test  Result  Flag  Units  Reference Range", "TEST NAME      RESULT     REF RANGE    UNITS",
                           "Component | Value | Ref Range | Units", "Analyte     Result     Normal Range"))
    for name, unit, (lo, hi) in g.r.sample(V.LAB_TESTS, k=g.r.randint(3, 12)):
        val = round(g.r.uniform(lo * 0.7, hi * 1.3), 1)
        flag = "H" if val > hi else "L" if val < lo else ""
        body.append(g.pick(f"{name}   {val}  {flag}  {unit}   {lo}-{hi}", f"{name}: {val} {unit} (ref {lo} - {hi}) {flag}",
                           f"{name} | {val} | {lo}-{hi} | {unit}", f"{name.upper()} {val} {flag} {lo}-{hi} {unit}"))
    tail = [g.pick("Abnormal results are flagged H (high) or L (low).", "*** End of Report ***", "Results verified by laboratory director.",
                   "This test was performed at a CLIA certified laboratory.", "Reference ranges are age and sex specific.",
                   "Specimen received in good condition.", "Fasting: Yes", "Critical values were called to the provider.")]
    return "\n".join(head + meta + body + tail)


def imaging_report(g: Gen, p: Person) -> str:
    study, code, finding = g.r.choice(V.IMAGING)
    exam_date = g.date()
    head = [g.letterhead(g.r.choice(V.IMAGING_NAMES) + ("" if g.chance(0.5) else f" at {g.r.choice(V.CLINIC_FIRST)} {g.r.choice(V.HOSPITAL_KIND)}")),
            g.case(g.pick("RADIOLOGY REPORT", "Diagnostic Imaging Report", "IMAGING REPORT", "Radiology Consultation", "REPORT OF EXAMINATION")),
            g.patient_block(p),
            g.field(g.pick("Exam", "Examination", "Study", "Procedure", "EXAM"), g.pick(study, code)),
            g.field(g.pick("Exam Date", "Date of Exam", "Date of Service", "Study Date"), g.fmt_date(exam_date)),
            g.field(g.pick("Referring Physician", "Ordering Provider", "Referred by"), g.clinician())]
    clinical = g.pick("Clinical history", "INDICATION", "History", "Reason for exam", "CLINICAL INFORMATION")
    tech = g.pick("TECHNIQUE", "Technique", "Comparison", "COMPARISON")
    body = [f"{clinical}: {g.r.choice(V.SYMPTOMS)}" + g.pick("", f", rule out {g.pick('fracture', 'pneumonia', 'mass', 'stones')}."),
            f"{tech}: " + g.pick("Standard protocol images were obtained.", "None available.", "Prior study from " + g.fmt_date(g.date(2015, 2019)) + ".",
                                 "Axial images with coronal and sagittal reformats."),
            g.pick("FINDINGS", "Findings", "FINDINGS:") + "\n" + finding[0].upper() + finding[1:] + ".",
            g.pick("IMPRESSION", "Impression", "CONCLUSION", "IMPRESSION:") + "\n" + g.pick("1. ", "") + g.pick(
                "No acute findings.", "Findings as above.", "Stable compared with prior.", "Recommend clinical correlation.",
                "Follow-up imaging in 6 months is suggested.", "Negative study.") ,
            g.pick("Electronically signed by", "Interpreted by", "Radiologist", "Dictated by") + ": " + g.clinician()]
    if g.chance(0.3):
        body.insert(2, "CONTRAST: " + g.pick("100 mL Omnipaque 350 IV", "None", "gadolinium 7 mL IV"))
    return "\n".join(head + body)


def progress_note(g: Gen, p: Person) -> str:
    dx, icd = g.r.choice(V.DIAGNOSES)
    visit = g.date()
    drug, dose, _ = g.r.choice(V.DRUGS)
    header = [g.letterhead(), g.case(g.pick("PROGRESS NOTE", "Office Visit", "Clinic Note", "Follow-up Visit Note", "SOAP Note",
                                            "Outpatient Progress Note", "Visit Summary", "Established Patient Visit"))]
    header += [g.patient_block(p), g.field(g.pick("Date of Service", "Visit Date", "DOS", "Date"), g.fmt_date(visit)),
               g.field(g.pick("Provider", "Seen by", "Attending"), g.clinician())]
    sym = g.r.choice(V.SYMPTOMS)
    s = g.pick("S:", "SUBJECTIVE:", "Chief Complaint:", "CC:", "History of Present Illness:", "HPI:") + " " + g.pick(
        f"Patient presents for follow up of {dx.lower()}.", f"{g.r.randint(18, 90)} year old here with {sym} for {g.r.randint(2, 30)} days.",
        f"Returns for recheck of {dx.lower()}. Reports {sym}.", f"Here today for {sym}, no fever or chills.")
    o = g.pick("O:", "OBJECTIVE:", "Exam:", "PHYSICAL EXAM:", "Vitals:") + " " + g.pick(
        f"BP {g.r.randint(100, 170)}/{g.r.randint(60, 100)}, HR {g.r.randint(55, 110)}, Temp 98.{g.r.randint(0, 9)} F, SpO2 9{g.r.randint(3, 9)}%.",
        "Alert and oriented, no acute distress. Lungs clear to auscultation. Heart regular rate and rhythm.",
        f"Weight {g.r.randint(100, 280)} lb. Abdomen soft, non tender. No edema.")
    a = g.pick("A:", "ASSESSMENT:", "Assessment:", "Impression:", "DIAGNOSES:") + " " + g.pick(f"{dx} ({icd})", f"{icd} {dx}", dx)
    pl = g.pick("P:", "PLAN:", "Plan:", "Assessment and Plan:") + " " + g.pick(
        f"Continue {drug} {dose} daily.", f"Start {drug} {dose}. Recheck in {g.r.randint(2, 12)} weeks.",
        "Labs ordered. Return to clinic as needed.", "Discussed diet and exercise. Follow up in 3 months.",
        f"Refer to {g.r.choice(V.SPECIALTIES)}. Patient agrees with plan.")
    sections = [s, o, a, pl]
    if g.chance(0.4):
        sections.insert(1, g.pick("ROS:", "Review of Systems:") + " " + g.pick("Negative except as noted in HPI.", "Denies chest pain, shortness of breath."))
    if g.chance(0.3):
        sections.insert(1, g.pick("Medications:", "Current Meds:") + f" {drug} {dose}; " + g.r.choice(V.DRUGS)[0])
    footer = g.pick("Electronically signed by ", "Signed: ", "", "Note completed by ") + g.clinician()
    return "\n".join(header + sections + [footer])


def dictated_note(g: Gen, p: Person) -> str:
    """A progress note as a transcript: running speech with written identifiers."""
    dx, _ = g.r.choice(V.DIAGNOSES)
    return (g.pick("This is ", "") + g.clinician() + g.pick(" dictating a ", " with a ") + g.pick("progress note", "clinic note", "follow up note")
            + f" on {p.given} {p.family}, date of birth {p.dob.strftime('%B %d, %Y').replace(' 0', ' ')}. "
            + g.pick(f"The patient returns for follow up of {dx.lower()}. ", f"She comes in today with {g.r.choice(V.SYMPTOMS)}. ",
                     f"He is seen today for {g.r.choice(V.SYMPTOMS)}. ")
            + g.pick("On exam vital signs are stable. ", "Exam is unremarkable. ", "Lungs are clear, heart is regular. ")
            + g.pick("Assessment and plan: ", "My impression is ", "Assessment: ") + dx.lower() + ". "
            + g.pick("We will continue the current medications and see her back in three months.", "Follow up in two weeks.",
                     "Labs today and return as needed. End of dictation."))


def discharge_summary(g: Gen, p: Person) -> str:
    admit = g.date()
    from datetime import timedelta

    discharge = admit + timedelta(days=g.r.randint(1, 12))
    dx, icd = g.r.choice(V.DIAGNOSES)
    drug, dose, _ = g.r.choice(V.DRUGS)
    hospital = f"{g.r.choice(V.CLINIC_FIRST)} {g.r.choice(V.HOSPITAL_KIND)}"
    lines = [g.letterhead(hospital), g.case(g.pick("DISCHARGE SUMMARY", "Discharge Summary", "HOSPITAL DISCHARGE SUMMARY",
                                                  "Inpatient Discharge Summary", "Discharge Instructions and Summary")),
             g.patient_block(p),
             g.field(g.pick("Admission Date", "Date of Admission", "Admitted"), g.fmt_date(admit)),
             g.field(g.pick("Discharge Date", "Date of Discharge", "Discharged"), g.fmt_date(discharge)),
             g.field(g.pick("Attending Physician", "Attending", "Discharging Physician"), g.clinician()),
             g.pick("Admitting Diagnosis", "Reason for Admission", "ADMISSION DIAGNOSIS") + ": " + dx,
             g.pick("Discharge Diagnosis", "Principal Diagnosis", "FINAL DIAGNOSES") + ": " + g.pick(f"{dx} ({icd})", dx),
             g.pick("Hospital Course", "HOSPITAL COURSE", "Brief Hospital Course") + ": " + g.pick(
                 f"The patient was admitted for {dx.lower()} and treated with IV fluids and antibiotics. Improved steadily.",
                 f"Admitted through the emergency department with {g.r.choice(V.SYMPTOMS)}. Workup notable for {dx.lower()}. Stable for discharge.",
                 "Uncomplicated course. Tolerating diet, ambulating independently, pain controlled on oral medication."),
             g.pick("Discharge Medications", "Medications at Discharge", "DISCHARGE MEDS") + ": " + f"{drug} {dose} " + g.r.choice(V.SIGS).lower(),
             g.pick("Disposition", "Discharged to", "Discharge Disposition") + ": " + g.pick("Home", "Home with home health", "Skilled nursing facility", "Rehab"),
             g.pick("Follow-up", "Follow up", "FOLLOW UP") + ": " + g.pick("PCP in 1 week", f"{g.r.choice(V.SPECIALTIES)} clinic in 2 weeks", "Return if symptoms worsen"),
             g.pick("Condition at discharge", "Condition") + ": " + g.pick("Stable", "Good", "Improved", "Fair")]
    if g.chance(0.4):
        lines.insert(8, "Procedures: " + g.pick("None", "Chest x-ray, CT abdomen", "Colonoscopy", "Cardiac catheterization"))
    return "\n".join(lines)


def referral_letter(g: Gen, p: Person) -> str:
    spec = g.r.choice(V.SPECIALTIES)
    reason = g.r.choice(V.REASONS)
    to_doc = g.clinician()
    opener = g.pick("Dear", "Dear Dr.", "To", "Dear Colleague,")
    greet = f"{opener} {to_doc.split(',')[0].replace('Dr. ', '').replace('Dr ', '')}," if opener != "Dear Colleague," else opener
    re_line = g.pick("Re:", "RE:", "Regarding:", "Referral for:", "Patient:") + " " + g.pick(f"{p.given} {p.family}", g.name_as(p)) + \
        g.pick(f", DOB {g.fmt_date(p.dob)}", f"  DOB: {g.fmt_date(p.dob)}", f" (born {g.fmt_date(p.dob)})")
    body = g.pick(
        f"I would be grateful if you could see this {g.r.randint(20, 85)} year old for {reason}.",
        f"Thank you for seeing my patient, who has been troubled by {reason}.",
        f"I am referring this patient to {spec} for evaluation of {reason}.",
        f"Many thanks for accepting this referral. The patient has {reason} and I would value your opinion.",
        f"Thank you for your consultation on this pleasant patient, whom I saw in follow up for {reason}.")
    extra = g.sentences([
        "Relevant history includes hypertension and hyperlipidemia.", "Current medications are listed below.",
        "Recent labs are enclosed.", "She has tried conservative management without benefit.",
        "He is allergic to penicillin.", "Please do not hesitate to contact me with any questions.",
        "I have enclosed the most recent imaging report.", "The patient is aware of the referral and will call to schedule.",
        "My recommendations are outlined below.", "I will see him back after your assessment."], 1, 4)
    close = g.pick("Sincerely,", "Yours sincerely,", "Kind regards,", "With thanks,", "Best regards,")
    lines = [g.letterhead(), g.fmt_date(g.date()), "", to_doc + "\n" + g.r.choice(V.CITIES) + " " + spec.title(), "",
             re_line, "", greet, "", body + " " + extra, "", close, g.clinician()]
    if g.chance(0.3):
        lines.insert(1, g.case(g.pick("REFERRAL LETTER", "Consultation Request", "Specialist Referral", "CONSULT REPLY")))
    return "\n".join(lines)


def dictated_letter(g: Gen, p: Person) -> str:
    reason = g.r.choice(V.REASONS)
    return (g.pick("Letter to ", "This is a letter to ", "Referral letter to ") + g.clinician() + ". "
            + g.pick("Regarding ", "Re ", "This is regarding ") + f"{p.given} {p.family}, date of birth {p.dob.strftime('%B %d, %Y').replace(' 0', ' ')}. "
            + g.pick("Dear doctor, ", "Dear colleague, ", "") + g.pick("thank you for seeing ", "I am referring ", "I would be grateful if you would see ")
            + g.pick("this patient ", "my patient ") + f"for {reason}. "
            + g.pick("Her history is notable for hypertension. ", "He has tried physical therapy without relief. ", "")
            + g.pick("Kind regards.", "Sincerely.", "Thank you. End of letter."))


def prescription(g: Gen, p: Person) -> str:
    drug, dose, form = g.r.choice(V.DRUGS)
    lines = [g.letterhead(), g.case(g.pick("PRESCRIPTION", "Rx", "Prescription", "e-Prescription", "PRESCRIPTION ORDER", "Refill Authorization")),
             g.field(g.pick("Patient", "Name", "Patient Name", "For"), g.name_as(p)),
             g.field(g.pick("DOB", "Date of Birth"), g.fmt_date(p.dob)),
             g.field(g.pick("Date", "Date Written", "Rx Date"), g.fmt_date(g.date()))]
    if g.chance(0.5):
        lines.append(g.field("Address", g.address()))
    rx = g.pick("Rx:", "℞", "RX", "Medication:", "Drug:") + f" {drug} {dose} {form}"
    lines += [rx, g.pick("Sig:", "Directions:", "SIG:", "Instructions:") + " " + g.r.choice(V.SIGS),
              g.pick("Disp:", "Dispense:", "Qty:", "Quantity:") + " " + g.pick("#30", "#60", "#90", "30 (thirty)", "1 inhaler", "#20"),
              g.pick("Refills:", "Refill:", "RF:") + " " + g.pick("0", "1", "2", "3", "5", "None"),
              g.pick("Substitution permitted", "Dispense as written", "Generic substitution allowed", "DAW: No"),
              g.field(g.pick("Prescriber", "Signature", "Prescribing Physician"), g.clinician()),
              g.field(g.pick("DEA #", "NPI"), f"{g.r.choice('ABFM')}{g.r.choice('ABCDEFGHJK')}{g.r.randint(1000000, 9999999)}")]
    if g.chance(0.3):
        lines.append(g.pick("Pharmacy:", "Send to:") + f" {g.r.choice(V.CITIES)} Pharmacy, {g.phone()}")
    return "\n".join(lines)
