"""A retention test installation, built once per session by the real pipeline and
copied for each test (disposal changes it).

Patients (imported through the charts room) and documents taken in by
ingest.take and processed by pipeline.work (text layer, classify, label, match,
index), then filed by a records clerk where the pipeline did not file them as
planned. `Site.docs` names the documents:

  marked   a progress note of patient A carrying MARKER in its text (and in the
           name of the dropped file)
  lab      a lab result of patient A, MARKER in its text too; both are corrected
           by staff, so a retrained classifier's vocabulary holds MARKER (its words
           need two documents)
  card     an insurance card of patient A
  consent  a consent form of patient A (rule "legal": ends in review)
  minor    a progress note of patient B, who is a child
  fax      a two-page fax: split into `cover` (fax_cover_sheet) and `body`
           (a referral letter of patient A), one original file for all three

The records are then made old: every document's date is set to 2001-03-01 (as
if scanned from a paper archive; the rules count from that date), so a plan as
of today lists them. Tests that need other dates set them themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, update

from chartdesk import access, audit, charts, classify
from chartdesk.access import Principal
from chartdesk.app import App, open_app
from chartdesk.config import Settings
from chartdesk.db import class_corrections, documents, utcnow
from chartdesk.ingest import take
from chartdesk.stages import State
from tests.conftest import PASSWORD, TEST_MODEL, make_settings, write_config
from tests.conftest import run_pipeline as _drain
from tests.gen import Document, Patient, born_digital_pdf, make_document, roster
from tests.gen.documents import Paragraph

MARKER = "quixotrombulaxite"  # letters only, so the classifier's vocabulary would keep it
OLD_DATE = dt.date(2001, 3, 1)
PIPELINE_TIMEOUT_SECONDS = 240
USERS = {"rita": "records", "cora": "compliance", "carl": "compliance", "bill": "billing"}


@dataclass
class Site:
    root: Path
    settings: Settings
    app: App
    docs: dict[str, int] = field(default_factory=dict)
    patients: dict[str, int] = field(default_factory=dict)
    users: dict[str, Principal] = field(default_factory=dict)

    def principal(self, username: str) -> Principal:
        return self.users[username]


def _sections(root: Path) -> dict[str, dict[str, object]]:
    return {"classify": {"model_file": str(root / "models" / "classifier.pkl"), "seed_per_class": 20,
                         "min_corrections_per_class": 1},
            "match": {"mrn_patterns": ["[A-Z]?[0-9]{4,10}"]},
            "pipeline": {"workers": 1, "index_batch_size": 50}}


def site_settings(root: Path) -> Settings:
    return make_settings(root, **_sections(root))  # type: ignore[arg-type]


def site_config(root: Path) -> Path:
    """A config.toml for the site, for chartdesk started as its own process."""
    return write_config(root, **_sections(root))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("retention-template")
    _ensure_shared_model(root)
    (root / "models").mkdir()
    shutil.copy(TEST_MODEL, root / "models" / "classifier.pkl")
    settings = site_settings(root)
    app = open_app(settings, create=True)
    try:
        audit.ensure_ready(settings, app.db)
        site = Site(root, settings, app)
        _add_users(site)
        _add_patients(site)
        _add_documents(site, root / "drop")
        _make_old(site)
        _save_names(site)
    finally:
        app.close()
    return root


def _ensure_shared_model(root: Path) -> None:
    """The session's shared classifier (trained once per machine by tests/conftest's settings)."""
    if not TEST_MODEL.exists():
        classify.ensure(make_settings(root / "model-trainer"))


@pytest.fixture
def site(template: Path, tmp_path: Path) -> Iterator[Site]:
    """A fresh copy of the template installation for one test."""
    root = tmp_path / "site"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("drop"))
    settings = site_settings(root)
    app = open_app(settings)
    built = Site(root, settings, app)
    _load_names(built)
    yield built
    app.close()


def _add_users(site: Site) -> None:
    actor = dataclasses.replace(access.SYSTEM, client="test:setup")
    with site.app.db.write() as conn:
        for username, role in USERS.items():
            user = access.add_user(conn, actor, site.settings.access, username=username, role=role,
                                   password=PASSWORD, temporary=False)
            site.users[username] = access.principal_for(site.settings.access, user_id=user.id, username=username,
                                                        role=role, client="test")


def _add_patients(site: Site) -> None:
    people = roster(0)
    chosen = {"A": people.patients[0], "B": people.patients[1]}
    with site.app.db.write() as conn:
        for key, p in chosen.items():
            found = charts.upsert_patient(conn, charts.PatientInput(
                mrn=p.mrn_digits, family_name=p.family, given_name=p.given, birth_date=p.birth_date, sex=p.sex,
                phone=p.phone), source="csv")
            site.patients[key] = found.patient_id


def _about(person: Patient, kind: str, seed: int, *extra: str) -> Document:
    doc = make_document(kind, seed, people=dataclasses.replace(roster(0), patients=(person,)))
    return dataclasses.replace(doc, blocks=doc.blocks + tuple(Paragraph(t) for t in extra))


def _add_documents(site: Site, folder: Path) -> None:
    folder.mkdir()
    people = roster(0)
    a, b = people.patients[0], people.patients[1]
    plan = {
        "marked": (_about(a, "progress_note", 21, f"Assessment reviewed with the {MARKER} protocol."), "progress_note", "A"),
        "lab": (_about(a, "lab_result", 22, f"Specimen handled per {MARKER} chain of custody."), "lab_result", "A"),
        "card": (_about(a, "insurance_card", 23), "insurance_card", "A"),
        "consent": (_about(a, "consent_form", 24), "consent_form", "A"),
        "minor": (_about(b, "progress_note", 25), "progress_note", "B"),
    }
    for name, (doc, _cls, _p) in plan.items():
        file_name = f"{MARKER}-note.pdf" if name == "marked" else f"{name}.pdf"
        site.docs[name] = _take(site, born_digital_pdf(doc, folder / file_name).path)
    site.docs["fax"] = _take(site, _fax(folder, a))
    _drain(site.app, timeout=PIPELINE_TIMEOUT_SECONDS, what="the retention test documents")
    _find_fax_parts(site)
    wanted = {name: (cls, site.patients[p]) for name, (_d, cls, p) in plan.items()}
    wanted["body"] = ("referral_letter", site.patients["A"])
    wanted["cover"] = ("fax_cover_sheet", None)
    _file_as_planned(site, wanted)
    _correct(site, "marked", "progress_note")
    _correct(site, "lab", "lab_result")
    _drain(site.app, timeout=PIPELINE_TIMEOUT_SECONDS, what="the retention test documents")


def _fax(folder: Path, person: Patient) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for i, kind in enumerate(("fax_cover", "referral_letter")):
        built = born_digital_pdf(_about(person, kind, 30 + i), folder / f"fax-part-{i}.pdf")
        writer.add_page(PdfReader(built.path).pages[0])
    out = io.BytesIO()
    writer.write(out)
    path = folder / "fax.pdf"
    path.write_bytes(out.getvalue())
    return path


def _find_fax_parts(site: Site) -> None:
    with site.app.db.read() as conn:
        row = conn.execute(select(documents.c.state, documents.c.flags).where(documents.c.id == site.docs["fax"])).one()
    assert row.state == "split", f"the test fax was not split ({row.state})"
    children = row.flags["split"]["children"]
    site.docs["cover"], site.docs["body"] = children["cover"], children["body"]


def _file_as_planned(site: Site, wanted: dict[str, tuple[str, int | None]]) -> None:
    clerk = site.principal("rita")
    with site.app.db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(documents.c.id, documents.c.state, documents.c.doc_class,
                                                             documents.c.patient_id))}
    for name, (doc_class, patient_id) in wanted.items():
        row = rows[site.docs[name]]
        if (row.state, row.doc_class, row.patient_id) != (State.indexed, doc_class, patient_id):
            charts.assign(site.app.db, site.settings, row.id, principal=clerk, patient_id=patient_id,
                          doc_class=doc_class, no_patient=patient_id is None, reason="filed by the test clerk")


def _correct(site: Site, name: str, doc_class: str) -> None:
    """A staff correction of the class (what `chartdesk classifier train` learns from)."""
    with site.app.db.write() as conn:
        conn.execute(class_corrections.delete().where(class_corrections.c.document_id == site.docs[name]))
        conn.execute(class_corrections.insert().values(document_id=site.docs[name], doc_class=doc_class,
                                                       predicted_class="referral_letter", at=utcnow(), actor="rita"))


def _make_old(site: Site) -> None:
    with site.app.db.write() as conn:
        conn.execute(update(documents).where(documents.c.state != "split").values(doc_date=OLD_DATE))


def _take(site: Site, path: Path) -> int:
    outcome = take(site.app, path, inbox=None, source="scan", remove=False)
    assert outcome.document_id is not None, outcome
    return outcome.document_id




def _save_names(site: Site) -> None:
    import json

    (site.root / "site.json").write_text(json.dumps({"docs": site.docs, "patients": site.patients,
                                                      "users": list(site.users)}))


def _load_names(site: Site) -> None:
    import json

    saved = json.loads((site.root / "site.json").read_text())
    site.docs, site.patients = saved["docs"], saved["patients"]
    with site.app.db.read() as conn:
        for username in saved["users"]:
            user = access.get_user(conn, username)
            site.users[username] = access.principal_for(site.settings.access, user_id=user.id, username=username,
                                                        role=user.role, client="test")


def run_pipeline(app: App) -> None:
    _drain(app, timeout=PIPELINE_TIMEOUT_SECONDS, what="the retention test documents")


MakeSite = Callable[[], Site]
