"""Record linkage against a real patient index in SQLite, with the hard cases:
twins, shared surnames, same name with another birth date, hyphens and
apostrophes, nicknames, several patients on one page, subscribers and clinicians."""

from __future__ import annotations

import datetime as dt

import pytest

from chartdesk.app import App
from chartdesk.classify import MatchOutcome, PatientIndex, Reason, extract, match, policy
from chartdesk.classify.identifiers import Formats
from tests.classify.helpers import add_many, add_patient

D = dt.date


@pytest.fixture
def index(cls_app: App) -> dict[str, int]:
    ids = {
        "jane": add_patient(cls_app, "4512", "Doe", "Jane", D(1961, 3, 4), phone="555-201-9988", members=["XYZ123456-02"]),
        "john_twin": add_patient(cls_app, "4513", "Doe", "John", D(1961, 3, 4)),
        "john_sr": add_patient(cls_app, "4514", "Doe", "John", D(1955, 5, 5), members=["XYZ123456"]),
        "smith_50": add_patient(cls_app, "5000", "Smith", "Robert", D(1950, 1, 1)),
        "smith_72": add_patient(cls_app, "5001", "Smith", "Robert", D(1972, 6, 9)),
        "obrien": add_patient(cls_app, "5002", "O'Brien-Smith", "Mary-Kate", D(1990, 2, 2)),
        "okonkwo": add_patient(cls_app, "5003", "Okonkwo", "Adaeze", D(1988, 8, 8)),
        "okafor": add_patient(cls_app, "5004", "Okafor", "Chidi", None),
        "garcia_a": add_patient(cls_app, "5005", "Garcia", "Maria", D(1980, 7, 1)),
        "garcia_b": add_patient(cls_app, "5006", "Garcia", "Maria", D(1980, 7, 1)),
        "dr_patient": add_patient(cls_app, "5007", "Albright", "Helen", D(1966, 1, 1)),
    }
    # a realistic crowd, so that priors and name frequencies mean something
    add_many(cls_app, [(f"{9000 + i}", f"Filler{chr(97 + i % 26)}{i}", "Pat", D(1940, 1, 1) + dt.timedelta(days=97 * i)) for i in range(200)]
             + [(f"{8000 + i}", "Smith", f"Given{chr(97 + i)}", D(1945 + i, 3, 3)) for i in range(12)])
    return ids


def _match(app: App, text: str) -> MatchOutcome:
    with app.db.read() as conn:
        idx = PatientIndex.load(conn)
    return match(extract([text], Formats(), today=D(2025, 6, 1)), [text], idx, policy(app.settings))


def test_name_and_birth_date_attach(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Patient: DOE, JANE A   DOB: 03/04/1961   MRN: 4512")
    assert out.patient_id == index["jane"]
    assert set(out.candidates[0].agreeing) >= {"name", "dob", "mrn"}


def test_twin_named_in_full_is_told_apart(cls_app: App, index: dict[str, int]) -> None:
    assert _match(cls_app, "Re: John Doe  DOB 3/4/61").patient_id == index["john_twin"]


def test_twins_without_a_given_name_are_never_attached(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Re: Doe  DOB 3/4/61")
    assert out.patient_id is None
    assert {c.patient_id for c in out.candidates[:2]} == {index["jane"], index["john_twin"]}


def test_same_name_and_birth_date_is_never_attached(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Patient: Maria Garcia  DOB: 07/01/1980")
    assert out.patient_id is None and Reason.could_be_either in out.reasons


def test_same_name_and_birth_date_told_apart_by_mrn(cls_app: App, index: dict[str, int]) -> None:
    assert _match(cls_app, "Patient: Maria Garcia  DOB: 07/01/1980  MRN: 5006").patient_id == index["garcia_b"]


def test_same_name_other_birth_date(cls_app: App, index: dict[str, int]) -> None:
    assert _match(cls_app, "Patient: Bob Smith  DOB 06/09/1972").patient_id == index["smith_72"]
    out = _match(cls_app, "Patient: Robert Smith")
    assert out.patient_id is None and Reason.too_few_identifiers in out.reasons


def test_common_names_weigh_less_than_rare_ones(cls_app: App, index: dict[str, int]) -> None:
    common = _match(cls_app, "Patient: Robert Smith  DOB 06/09/1972").candidates[0]
    rare = _match(cls_app, "Patient: Adaeze Okonkwo  DOB 08/08/1988").candidates[0]
    assert rare.fields["family_name"].weight > common.fields["family_name"].weight + 3


def test_hyphen_apostrophe_and_partial_names(cls_app: App, index: dict[str, int]) -> None:
    assert _match(cls_app, "Patient: OBRIEN SMITH, MARY KATE  DOB 2/2/1990").patient_id == index["obrien"]
    assert _match(cls_app, "Patient: Mary-Kate O'Brien  DOB 2/2/1990").patient_id == index["obrien"]


def test_transposed_birth_date_digits_and_ocr_name(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Patient: Adaeze 0konkwo  DOB 08/08/1898  MRN 5003")
    assert out.patient_id == index["okonkwo"]
    assert out.candidates[0].fields["dob"].level == "near"


def test_conflicting_birth_date_goes_to_review(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Patient: Adaeze Okonkwo  DOB 01/15/1970  MRN 5003")
    assert out.patient_id is None and Reason.conflict in out.reasons


def test_two_patients_on_one_page_are_never_attached(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Re: Jane Doe  DOB 3/4/1961  MRN 4512\nHer husband John Doe (DOB 5/5/1955) was present.")
    assert out.patient_id is None and Reason.several_patients in out.reasons


def test_subscriber_on_a_dependants_card_is_not_the_patient(cls_app: App, index: dict[str, int]) -> None:
    card = "BLUE PLAN PPO\nSubscriber: JOHN DOE\nSubscriber DOB: 05/05/1955\nMember: JANE DOE\nDOB 03/04/1961\nMember ID: XYZ123456-02"
    out = _match(cls_app, card)
    assert out.patient_id == index["jane"]
    assert index["john_sr"] not in {c.patient_id for c in out.candidates if c.probability > 0.01}


def test_card_of_the_subscriber_himself(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Subscriber: JOHN DOE\nSubscriber DOB: 05/05/1955\nID: XYZ123456")
    assert out.patient_id == index["john_sr"] and "subscriber_as_patient" in out.notes


def test_clinician_who_is_also_a_patient_is_not_the_patient(cls_app: App, index: dict[str, int]) -> None:
    text = "Patient: Jane Doe  DOB: 03/04/1961\nOrdering Physician: Dr. Helen Albright, MD\nSigned: Helen Albright MD"
    out = _match(cls_app, text)
    assert out.patient_id == index["jane"]
    assert index["dr_patient"] not in out.named_patients


def test_document_naming_nobody_is_unassigned(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Office closed on Monday for the holiday. Thank you.")
    assert out.patient_id is None and out.reasons == (Reason.unassigned,)


def test_unknown_patient_has_no_candidate(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Patient: Zebulon Quackenbush  DOB 1/1/1931")
    assert out.patient_id is None
    assert not out.candidates or out.candidates[0].probability < 0.5


def test_nickname_with_two_identifiers(cls_app: App, index: dict[str, int]) -> None:
    out = _match(cls_app, "Re: Johnny Doe  DOB 05/05/1955")
    assert out.patient_id == index["john_sr"]
    assert out.candidates[0].fields["given_name"].level == "nickname"
