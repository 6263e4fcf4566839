"""Seed builders for administrative, financial and legal documents."""

from __future__ import annotations

from chartdesk.classify.seed import vocab as V
from chartdesk.classify.seed.builders import Gen, Person


def insurance_card(g: Gen, p: Person) -> str:
    payer, plan = g.r.choice(V.PAYERS), g.r.choice(V.PLANS)
    dependant = g.chance(0.4)
    lines = [g.case(payer) + g.pick("", " " + plan, "\n" + plan), g.pick("", "Member Card", "Health Insurance Card", "Medical ID Card", "MEMBER ID CARD")]
    if dependant:
        sub = g.person()
        lines.append(g.field(g.pick("Subscriber", "Policyholder", "Primary Insured"), f"{sub.given.upper()} {p.family.upper()}"))
    lines += [g.field(g.pick("Member", "Name", "Member Name", "Enrollee"), g.pick(f"{p.given.upper()} {p.family.upper()}", f"{p.given} {p.middle} {p.family}")),
              g.field(g.pick("Member ID", "ID", "ID #", "Identification Number", "Subscriber ID"), p.member_id + (f"-0{g.r.randint(1, 4)}" if dependant else "")),
              g.field(g.pick("Group", "Group #", "Group No", "GRP"), str(g.r.randint(10000, 999999)))]
    extras = [g.field("RxBIN", str(g.r.randint(100000, 999999))), g.field("RxPCN", g.pick("ADV", "MEDDPRIME", "CN")),
              g.field(g.pick("Copay", "PCP Copay", "Office Visit"), f"${g.r.choice((10, 20, 25, 30, 40))}"),
              g.field(g.pick("Specialist", "Spec Copay"), f"${g.r.choice((35, 50, 60, 75))}"),
              g.field(g.pick("ER", "Emergency Room"), f"${g.r.choice((100, 150, 250))}"),
              g.field(g.pick("Effective Date", "Eff Date", "Coverage Start"), g.fmt_date(g.date(2018, 2025))),
              g.pick("Customer Service: ", "Member Services ", "Questions? Call ") + g.phone(),
              g.pick("Provider Services: ", "Providers call ") + g.phone(),
              g.pick("Submit claims to: PO Box ", "Claims: P.O. Box ") + str(g.r.randint(1000, 99999)) + f", {g.r.choice(V.CITIES)}",
              g.pick("This card does not guarantee coverage.", "Present this card at each visit.", "Pharmacist use only",
                     "Possession of this card does not guarantee eligibility for benefits.")]
    lines += g.r.sample(extras, k=g.r.randint(3, len(extras)))
    if g.chance(0.3):
        lines.append(g.field("DOB", g.fmt_date(p.dob)))
    return "\n".join(lines)


def explanation_of_benefits(g: Gen, p: Person) -> str:
    payer = g.r.choice(V.PAYERS)
    lines = [g.letterhead(payer), g.case(g.pick("EXPLANATION OF BENEFITS", "Explanation of Benefits", "THIS IS NOT A BILL",
                                                "Your Claim Summary", "EOB Statement", "Health Care Claim Statement")),
             g.pick("THIS IS NOT A BILL", "This is not a bill.", "Keep this for your records.", ""),
             g.field(g.pick("Statement Date", "Date Processed", "Date of Notice", "Processed"), g.fmt_date(g.date())),
             g.field(g.pick("Member", "Subscriber", "Member Name"), g.pick(g.name_as(p), f"{p.given} {p.family}")),
             g.field(g.pick("Member ID", "ID Number", "Identification #"), p.member_id),
             g.field(g.pick("Claim Number", "Claim #", "Claim ID"), str(g.r.randint(10**9, 10**11))),
             g.field(g.pick("Patient", "For", "Patient Name"), f"{p.given} {p.family}"),
             g.field(g.pick("Provider", "Rendering Provider", "Provided by"), g.clinician())]
    lines.append(g.pick("Service Date  Description  Billed  Allowed  Plan Paid  You Owe",
                        "DATE OF SERVICE | SERVICE | AMOUNT BILLED | DISCOUNT | PAID BY PLAN | YOUR RESPONSIBILITY",
                        "Services    Charges    Network savings    Deductible    Coinsurance    Amount paid"))
    total_owe = 0.0
    for code, desc in g.r.sample(V.CPT, k=g.r.randint(1, 5)):
        billed = g.r.randint(40, 900)
        allowed = round(billed * g.r.uniform(0.3, 0.9), 2)
        paid = round(allowed * g.r.uniform(0.5, 1.0), 2)
        owe = round(allowed - paid, 2)
        total_owe += owe
        lines.append(g.pick(f"{g.fmt_date(g.date())}  {desc} ({code})  ${billed:.2f}  ${allowed:.2f}  ${paid:.2f}  ${owe:.2f}",
                            f"{code} {desc} | {billed:.2f} | {billed - allowed:.2f} | {paid:.2f} | {owe:.2f}"))
    lines += [g.pick("Total you owe", "Patient Responsibility", "Amount you may owe the provider", "TOTAL PATIENT RESPONSIBILITY") + f": ${total_owe:.2f}",
              g.pick("Deductible met to date", "Year-to-date deductible") + f": ${g.r.randint(0, 3000)}.00",
              g.pick("Remark codes: ", "Notes: ") + g.pick("PR-1 deductible amount.", "CO-45 charges exceed fee schedule.",
                                                            "Payment sent to provider.", "This claim was processed under your in-network benefits."),
              g.pick("If you disagree with this decision you may appeal within 180 days.", "Questions about this claim? Call member services.",
                     "See the back of this page for your appeal rights.")]
    return "\n".join(lines)


def superbill(g: Gen, p: Person) -> str:
    lines = [g.letterhead(), g.case(g.pick("SUPERBILL", "Encounter Form", "CHARGE SLIP", "Superbill / Encounter Form", "Patient Encounter Form",
                                          "Itemized Statement for Insurance")),
             g.patient_block(p, with_mrn=g.chance(0.5)),
             g.field(g.pick("Date of Service", "DOS", "Visit Date"), g.fmt_date(g.date())),
             g.field(g.pick("Insurance", "Primary Insurance", "Payer"), g.r.choice(V.PAYERS)),
             g.field(g.pick("Policy #", "Member ID", "Ins ID"), p.member_id),
             g.field(g.pick("Rendering Provider", "Provider", "Physician"), g.clinician()),
             g.field(g.pick("NPI", "Provider NPI"), str(g.r.randint(10**9, 10**10 - 1))),
             g.field(g.pick("Tax ID", "TIN", "EIN"), f"{g.r.randint(10, 99)}-{g.r.randint(1000000, 9999999)}")]
    lines.append(g.pick("CPT  Description  Units  Fee", "PROCEDURES", "Code | Service | Qty | Charge", "[ ] CPT CODE   DESCRIPTION   FEE"))
    total = 0
    for code, desc in g.r.sample(V.CPT, k=g.r.randint(2, 8)):
        fee = g.r.randint(20, 400)
        total += fee
        lines.append(g.pick(f"{code}  {desc}  1  ${fee}.00", f"[X] {code} {desc} ${fee}", f"{code} | {desc} | 1 | {fee}.00", f"☑ {desc} {code} {fee}.00"))
    lines.append(g.pick("DIAGNOSES (ICD-10)", "Diagnosis Codes", "ICD-10 Dx:", "DX"))
    for dx, icd in g.r.sample(V.DIAGNOSES, k=g.r.randint(1, 4)):
        lines.append(g.pick(f"{icd}  {dx}", f"[X] {icd} {dx}", f"{icd} - {dx}"))
    lines += [g.pick("Total Charges", "TOTAL", "Total Fee") + f": ${total}.00",
              g.pick("Amount Paid", "Copay collected", "Paid today") + f": ${g.r.choice((0, 20, 25, 40))}.00",
              g.pick("Patient signature authorizing release of information and assignment of benefits: ______",
                     "I authorize payment of benefits to the provider.", "Next appointment: ____", "Place of service: 11 (office)")]
    return "\n".join(lines)


def consent_form(g: Gen, p: Person) -> str:
    proc = g.pick("colonoscopy with possible biopsy", "flu vaccination", "joint injection", "minor skin surgery (excision)",
                  "treatment and examination", "telehealth services", "upper endoscopy", "IUD insertion", "moderate sedation",
                  "blood transfusion", "HIV testing", "photography for the medical record")
    intro = g.pick(f"I, {p.given} {p.family}, hereby consent to", f"I, {p.given} {p.middle}. {p.family}, authorize", "I hereby give my consent for",
                   "I voluntarily consent to", "I, the undersigned, agree to") + f" {proc}" + g.pick(
        f" to be performed by {g.clinician()}.", " and such additional procedures as are considered necessary.", ".", " at this facility.")
    risks = g.sentences([
        "The nature and purpose of the procedure, possible alternatives, and the risks involved have been explained to me.",
        "Risks include but are not limited to bleeding, infection, allergic reaction and perforation.",
        "I understand that no guarantee has been made as to the results.",
        "I have had the opportunity to ask questions and all my questions have been answered.",
        "I understand that I may withdraw this consent at any time before the procedure.",
        "I consent to the administration of anesthesia or sedation as deemed advisable.",
        "I acknowledge that I have read and understood this form.",
        "Benefits, risks and alternatives, including no treatment, were discussed."], 2, 5)
    lines = [g.letterhead(), g.case(g.pick("INFORMED CONSENT", "Consent for Procedure", "CONSENT TO TREATMENT", "Patient Consent Form",
                                          "Informed Consent for " + proc.split(" (")[0].title(), "Authorization and Consent")),
             g.field(g.pick("Patient Name", "Patient", "Name"), g.name_as(p)),
             g.field(g.pick("Date of Birth", "DOB"), g.fmt_date(p.dob)), "", intro, risks, "",
             g.pick("Patient Signature: ____________________  Date: ", "Signature of patient or legal representative ________ Date ",
                    "Signed: ______________ Date: ") + g.fmt_date(g.date()),
             g.pick("Witness: ____________________", "Witness signature ____________", "Physician signature: ________")]
    if g.chance(0.3):
        lines.append(g.pick("Relationship to patient if signed by representative: ________", "Interpreter used: Yes / No"))
    return "\n".join(lines)


def release_of_information_request(g: Gen, p: Person) -> str:
    requester = g.pick(f"{g.r.choice(V.CLINIC_FIRST)} Law Group LLP", f"{g.r.choice(V.PAYERS)} Claims Department",
                       f"{g.clinic()}", "Social Security Administration", f"{g.r.choice(V.CLINIC_FIRST)} Life Insurance Co.", "the patient")
    lines = [g.letterhead(), g.case(g.pick("AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION", "Request for Medical Records",
                                          "RELEASE OF INFORMATION REQUEST", "Authorization to Disclose Health Information",
                                          "HIPAA Authorization Form", "Records Request")),
             g.field(g.pick("Patient Name", "Name of Patient", "Patient"), g.name_as(p)),
             g.field(g.pick("Date of Birth", "DOB"), g.fmt_date(p.dob)),
             g.pick(f"I authorize {g.clinic()} to release", "I hereby authorize the disclosure of", "Please release", "I request copies of")
             + g.pick(" my complete medical record", " the following records:", " records from " + g.fmt_date(g.date(2015, 2021)) + " to present",
                      " office notes, lab results and imaging reports") + g.pick(f" to {requester}.", ".", f" to: {requester}"),
             g.pick("Purpose of disclosure", "Purpose", "Reason for request") + ": " + g.pick("legal", "continuity of care", "insurance claim",
                                                                                           "personal use", "disability determination", "at the request of the individual"),
             g.pick("Records requested", "Information to be released", "Type of records") + ": " + g.pick(
                 "[X] Office notes [X] Lab results [ ] Imaging", "All records", "Discharge summaries and operative reports", "Billing records"),
             g.sentences(["This authorization expires one year from the date of signature unless revoked.",
                          "I understand I may revoke this authorization in writing at any time.",
                          "Information disclosed may be re-disclosed by the recipient and no longer protected.",
                          "Treatment will not be conditioned on signing this authorization.",
                          "A reasonable copying fee may apply.",
                          "Please include records of HIV status, mental health and substance use only if initialed."], 2, 4),
             g.pick("Signature of patient: __________ Date: ", "Signed ______________ Date ", "Patient/Representative Signature ______ ") + g.fmt_date(g.date())]
    if g.chance(0.5):
        lines.insert(2, g.field(g.pick("Requested by", "Requester", "Send records to"), requester))
    return "\n".join(lines)


def fax_cover_sheet(g: Gen, p: Person) -> str:
    sender, recipient = g.clinic(), g.clinic()
    fields = [g.field(g.pick("To", "TO", "Attention", "Attn"), g.pick(g.clinician(), recipient, "Medical Records")),
              g.field(g.pick("From", "FROM", "Sender"), g.pick(g.clinician(), sender, "Records Department")),
              g.field(g.pick("Fax", "Fax #", "Fax Number", "To Fax"), g.phone()),
              g.field(g.pick("Phone", "Tel", "From Phone"), g.phone()),
              g.field(g.pick("Date", "Date Sent", "DATE"), g.fmt_date(g.date())),
              g.field(g.pick("Pages", "Number of pages (including cover)", "# of Pages", "Total pages incl. cover", "Pages incl. cover"), str(g.r.randint(2, 25))),
              g.field(g.pick("Re", "RE", "Subject", "Regarding"), g.pick("Records request", "Lab results", "Referral", "Patient records", "Prior authorization", "Consult note"))]
    g.r.shuffle(fields)
    lines = [g.letterhead(sender), g.case(g.pick("FAX", "FACSIMILE TRANSMITTAL", "Fax Cover Sheet", "FAX COVER SHEET", "Facsimile", "FAX TRANSMISSION")), *fields]
    lines.append(g.pick("[ ] Urgent [X] For Review [ ] Please Reply", "URGENT  x  For your information", "Comments:", "Message:", ""))
    lines.append(g.pick(
        "CONFIDENTIALITY NOTICE: This facsimile contains confidential information intended only for the use of the recipient named above. "
        "If you have received this fax in error, please notify the sender immediately and destroy the documents.",
        "The documents accompanying this fax transmission contain health information that is legally privileged. If you are not the "
        "intended recipient, you are hereby notified that any disclosure, copying or distribution is strictly prohibited.",
        "This message is intended only for the addressee. If received in error, please call us and return or destroy the pages.",
        "PRIVILEGED AND CONFIDENTIAL: protected health information enclosed. Unauthorized re-disclosure is prohibited by law."))
    return "\n".join(lines)


def other(g: Gen, p: Person) -> str:
    kind = g.r.randrange(6)
    if kind == 0:
        return "\n".join([g.letterhead(), "Appointment Reminder", f"Dear {p.given} {p.family},",
                          f"This is a reminder of your appointment on {g.fmt_date(g.date())} at {g.r.randint(8, 16)}:{g.pick('00', '15', '30', '45')}.",
                          g.pick("Please arrive 15 minutes early and bring your insurance card.", "Call us if you need to reschedule.",
                                 "Missed appointments without 24 hours notice may incur a fee.")])
    if kind == 1:
        return "\n".join([g.letterhead(), g.pick("OFFICE MEMO", "Staff Memo", "Internal Memorandum", "Notice to Staff"),
                          g.field("Date", g.fmt_date(g.date())), g.field("Subject", g.pick("Holiday schedule", "Parking lot resurfacing",
                                                                                             "New phone system", "Fire drill", "Quarterly meeting")),
                          g.pick("The office will be closed on the dates listed.", "Please remember to badge in at the side entrance.",
                                 "Training sessions will be held in the conference room.", "Thank you for your cooperation.")])
    if kind == 2:
        vendor = g.pick("MedSupply Co.", "Office Depot Business", "CleanCare Janitorial", "Shred-It Secure", "Pinnacle IT Services")
        return "\n".join([vendor, g.pick("INVOICE", "Invoice", "Statement of Account"), g.field("Invoice #", str(g.r.randint(10000, 99999))),
                          g.field("Bill To", g.clinic()), g.field("Date", g.fmt_date(g.date())),
                          g.pick("Nitrile gloves, box of 100 x 20", "Printer toner cartridge x 4", "Monthly cleaning service", "Document shredding, 6 bins"),
                          g.field("Amount Due", f"${g.r.randint(50, 3000)}.00"), g.pick("Net 30. Thank you for your business.", "Please remit payment by the due date.")])
    if kind == 3:
        topic = g.pick("Healthy eating", "Managing high blood pressure", "Caring for your cast", "Sleep hygiene", "Quitting smoking", "Hand washing")
        return "\n".join([g.letterhead(), g.pick("Patient Education", "Health Information Handout", "Wellness Tips"), topic,
                          g.sentences(["Drink plenty of water every day.", "Aim for thirty minutes of activity most days.",
                                       "Keep a regular sleep schedule.", "Call your doctor if symptoms get worse.",
                                       "Eat more vegetables, fruit and whole grains.", "Limit salt and processed foods.",
                                       "Wash your hands for at least twenty seconds."], 3, 6)])
    if kind == 4:
        return "\n".join([g.pick("Patient Registration Form", "New Patient Information", "Demographics Update"),
                          g.field("Name", f"{p.given} {p.family}"), g.field("Date of Birth", g.fmt_date(p.dob)),
                          g.field("Address", g.address()), g.field("Phone", p.phone), g.field("Emergency contact", f"{g.r.choice(V.GIVEN)} {p.family}"),
                          g.field("Employer", g.pick("Self", "Retired", g.r.choice(V.CITIES) + " School District")),
                          g.field("Preferred pharmacy", g.r.choice(V.CITIES) + " Pharmacy"), "Signature ________ Date ________"])
    return "\n".join([g.letterhead(), g.pick("Patient Satisfaction Survey", "We value your feedback", "Visit Survey"),
                      "How would you rate your visit? [ ] Excellent [ ] Good [ ] Fair [ ] Poor",
                      "Was your wait time reasonable? Yes / No", "Would you recommend our office to a friend? Yes / No",
                      "Comments: __________________________", "Thank you for choosing us."])
