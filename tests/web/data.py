"""The web tests' installation: users of every role, patients imported from a
CSV file, and documents that went through the whole real pipeline (ingest.take,
then pipeline.work in process: extract, classify, label, match, index).

Documents (`Site.docs` names them), after a records clerk has worked the review
queue through the charts room for any the pipeline could not file alone:
  lab       a born-digital lab result of patient A                (filed)
  card      an insurance card of patient A                        (filed; front desk and billing see it)
  sud       a progress note of patient A about opioid use disorder (label substance_use_disorder from
            the configured rules: hidden from clinicians, whose role does not include that label)
  xss       a progress note whose text holds HTML and script markup (filed)
  scan      a scanned referral letter of patient A, read by tesseract (filed; page images)
  private   a lab result of patient B, whose chart is restricted   (hidden without break-the-glass)
  unfiled   a referral letter about a patient the practice does not know (left in the review queue)
  dictation a dictated progress note about patient A (espeak-ng speech, transcribed by Whisper tiny.en)
  broken    a "PDF" that is not one: rejected into the quarantine with a reason
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from chartdesk import access, audit, charts
from chartdesk.app import App, open_app
from chartdesk.config import Settings
from chartdesk.db import documents
from chartdesk.ingest import take
from chartdesk.stages import State
from tests.conftest import make_settings, run_pipeline
from tests.gen import Document, Patient, born_digital_pdf, make_document, roster, scan
from tests.gen.audio import speak
from tests.gen.documents import Paragraph

CHEAP_LOGIN = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "max_failed": 3, "lockout_minutes": 15}
ROLES = ("front_desk", "clinician", "billing", "records", "compliance", "admin")
XSS = "<script>window.pwned=1</script> <img src=x onerror=alert(1)> zebrafish & <b>bold</b>"
SUD = "Started buprenorphine for opioid use disorder; counselling weekly."
PIPELINE_TIMEOUT_SECONDS = 240


@dataclass(frozen=True)
class User:
    username: str
    password: str
    role: str
    user_id: int


@dataclass
class Site:
    root: Path
    settings: Settings
    app: App
    users: dict[str, User] = field(default_factory=dict)
    docs: dict[str, int] = field(default_factory=dict)
    patients: dict[str, int] = field(default_factory=dict)
    patient_names: dict[str, str] = field(default_factory=dict)

    def principal(self, role: str) -> access.Principal:
        user = self.users[role]
        return access.principal_for(self.settings.access, user_id=user.user_id, username=user.username,
                                    role=user.role, client="test")


def build_site(root: Path) -> Site:
    settings = make_settings(root, access={"login": CHEAP_LOGIN}, classify={"seed_per_class": 30},
                             match={"mrn_patterns": ["[A-Z]?[0-9]{4,10}"]},
                             pipeline={"workers": 1, "index_batch_size": 50})
    app = open_app(settings, create=True)
    audit.ensure_ready(settings, app.db)
    site = Site(root, settings, app)
    _add_users(site)
    _add_patients(site, root / "patients.csv")
    _add_documents(site, root / "drop")
    return site


def _add_users(site: Site) -> None:
    actor = dataclasses.replace(access.SYSTEM, client="test:setup")
    extra = {"locky": "clinician", "throttled": "clinician", "newbie": "front_desk"}
    with site.app.db.write() as conn:
        for username, role in [*((f"{r.replace('_', '')}1", r) for r in ROLES), *extra.items()]:
            password = f"long secret {len(username)} for {role}!"
            user = access.add_user(conn, actor, site.settings.access, username=username, role=role, password=password,
                                   display_name=username.title(), temporary=username == "newbie")
            key = role if username.endswith("1") else username
            site.users[key] = User(username, password, role, user.id)


def _add_patients(site: Site, csv_path: Path) -> None:
    people = roster(0)
    chosen = {"A": people.patients[0], "B": people.patients[1]}
    lines = ["mrn,family_name,given_name,birth_date,sex,phone"]
    lines += [f"{p.mrn_digits},{p.family},{p.given},{p.birth_date.isoformat()},{p.sex},{p.phone}" for p in chosen.values()]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clerk = site.principal("records")
    report = charts.import_file(site.app.db, site.settings, csv_path, clerk)
    assert report.created == 2, report
    with site.app.db.read() as conn:
        for key, person in chosen.items():
            site.patients[key] = charts.resolve_patient(conn, person.mrn_digits)
            site.patient_names[key] = person.full_name
    with site.app.db.write() as conn:
        access.restrict_chart(conn, clerk, site.patients["B"], restricted=True, reason="a member of staff")


def _add_documents(site: Site, folder: Path) -> None:
    folder.mkdir()
    people = roster(0)
    a, b, stranger = people.patients[0], people.patients[1], people.patients[7]
    plan = {
        "lab": ("lab_result", a, (), "lab_result", "A"),
        "card": ("insurance_card", a, (), "insurance_card", "A"),
        "sud": ("progress_note", a, (Paragraph(SUD),), "progress_note", "A"),
        "xss": ("progress_note", a, (Paragraph(XSS),), "progress_note", "A"),
        "private": ("lab_result", b, (), "lab_result", "B"),
        "unfiled": ("referral_letter", stranger, (), None, None),
    }
    for seed, (name, (kind, person, extra, _cls, _pt)) in enumerate(plan.items()):
        doc = _about(person, kind, seed + 11)
        doc = dataclasses.replace(doc, blocks=doc.blocks + extra)
        site.docs[name] = _take(site, born_digital_pdf(doc, folder / f"{name}.pdf").path)
    letter = _about(a, "referral_letter", 5)
    site.docs["scan"] = _take(site, scan(letter, folder / "scan.pdf", dpi=200).path)
    plan["scan"] = ("referral_letter", a, (), "referral_letter", "A")
    spoken = (f"Progress note for patient {a.given} {a.family}. The patient takes metformin five hundred "
              "milligrams twice daily. Blood pressure is well controlled. Follow up in three months.")
    site.docs["dictation"] = _take(site, speak(spoken, folder / "dictation.wav"), source="dictation")
    plan["dictation"] = ("progress_note", a, (), "progress_note", "A")
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 200)
    site.docs["broken"] = _take(site, broken)
    run_pipeline(site.app, timeout=PIPELINE_TIMEOUT_SECONDS, what="the web test documents")
    _work_the_queue(site, {name: (cls, site.patients[p] if p else None) for name, (_k, _p, _e, cls, p) in plan.items()})
    run_pipeline(site.app, timeout=PIPELINE_TIMEOUT_SECONDS, what="the web test documents")


def _about(person: Patient, kind: str, seed: int) -> Document:
    """A generated document whose text is about `person`."""
    return make_document(kind, seed, people=dataclasses.replace(roster(0), patients=(person,)))


def _work_the_queue(site: Site, wanted: dict[str, tuple[str | None, int | None]]) -> None:
    """A records clerk files what the pipeline did not file as intended (charts.assign,
    audited like any decision); `unfiled` stays in the queue."""
    clerk = site.principal("records")
    with site.app.db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(documents.c.id, documents.c.state, documents.c.doc_class,
                                                             documents.c.patient_id))}
    for name, (doc_class, patient_id) in wanted.items():
        row = rows[site.docs[name]]
        if doc_class is None:
            assert row.state == State.needs_review, (name, row)
        elif (row.state, row.doc_class, row.patient_id) != (State.indexed, doc_class, patient_id):
            charts.assign(site.app.db, site.settings, row.id, principal=clerk, patient_id=patient_id,
                          doc_class=doc_class, reason="filed by the test clerk")
def _take(site: Site, path: Path, *, source: str = "scan") -> int:
    outcome = take(site.app, path, inbox=None, source=source, remove=False)
    assert outcome.document_id is not None, outcome
    return outcome.document_id


