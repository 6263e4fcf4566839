"""Patients and encounters from CSV and FHIR R4 (Bundle and NDJSON): idempotent, audited,
with a report that names every rejected row and why."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import func, select

from chartdesk import charts
from chartdesk.app import App
from chartdesk.db import audit_events, patient_names
from tests.classify.helpers import CLERK, write_lines

D = dt.date


def _import(app: App, path: Path) -> charts.ImportReport:
    return charts.import_file(app.db, app.settings, path, CLERK, today=D(2025, 6, 1))


def test_csv_import_reports_rejected_rows_and_is_idempotent(cls_app: App, tmp_path: Path) -> None:
    csv_file = write_lines(tmp_path / "patients.csv", [
        "MRN,Last Name,First Name,Middle,DOB,Sex,Phone,Aliases,Maiden Name,Member ID,Payer",
        "4512,Doe,Jane,A,03/04/1961,F,(555) 201-9988,\"Doe-Smith, Jane\",Smith,XYZ123456-02,Blue Plan",
        "4513,O'Brien,Séan,,1990-02-02,M,,,,,",
        ",Nobody,Here,,1970-01-01,,,,,,",
        "4514,Roe,,,1970-01-01,,,,,,",
        "4515,Future,Baby,,01/01/2031,,,,,,",
        "4516,Bad,Date,,31/31/1990,,,,,,",
        "ABC,Wrong,Format,,1970-01-01,,,,,,",
    ])
    first = _import(cls_app, csv_file)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    reasons = {r.where: r.reason for r in first.rejected}
    assert set(reasons) == {"row 4", "row 5", "row 6", "row 7", "row 8"}
    assert reasons["row 4"] == "no MRN" and "future" in reasons["row 6"] and "31/31/1990" in reasons["row 7"]
    assert "MRN format" in reasons["row 8"]
    second = _import(cls_app, csv_file)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    with cls_app.db.read() as conn:
        jane = charts.get_patient(conn, charts.resolve_patient(conn, "4512"))
        events = conn.execute(select(func.count()).select_from(audit_events).where(audit_events.c.action == "patient_changed")).scalar()
    assert jane.phone == "5552019988" and jane.birth_date == D(1961, 3, 4)
    assert {(n["kind"], n["family"]) for n in jane.names} == {("official", "Doe"), ("alias", "Doe-Smith"), ("previous", "Smith")}
    assert jane.identifiers == [{"kind": "member_id", "system": "Blue Plan", "value": "XYZ123456-02"}]
    assert events == 2


def test_correcting_a_birth_date_updates_and_says_which_field(cls_app: App, tmp_path: Path) -> None:
    _import(cls_app, write_lines(tmp_path / "a.csv", ["mrn,family_name,given_name,birth_date", "4512,Doe,Jane,1961-03-04"]))
    report = _import(cls_app, write_lines(tmp_path / "b.csv", ["mrn,family_name,given_name,birth_date", "4512,Doe,Jane,1961-04-03"]))
    assert report.updated == 1
    with cls_app.db.read() as conn:
        assert charts.get_patient(conn, charts.resolve_patient(conn, "4512")).birth_date == D(1961, 4, 3)


def _fhir_patient(pid: str, mrn: str | None, family: str, given: list[str], birth: str, **extra: object) -> dict[str, object]:
    ident = [{"type": {"coding": [{"code": "MR"}]}, "system": "urn:office:mrn", "value": mrn}] if mrn else []
    ident.append({"type": {"coding": [{"code": "MB"}]}, "system": "urn:payer:acme", "value": f"M-{pid}"})
    return {"resourceType": "Patient", "id": pid, "identifier": ident, "birthDate": birth,
            "name": [{"use": "official", "family": family, "given": given}, {"use": "maiden", "family": "Old" + family, "given": given[:1]}],
            "telecom": [{"system": "phone", "value": "555-000-1111"}], "gender": "female", **extra}


def test_fhir_bundle_of_patients_and_encounters(cls_app: App, tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": _fhir_patient("p1", "6001", "Nguyen", ["Mai", "Thi"], "1975-05-06")},
        {"resource": _fhir_patient("p2", None, "Nomrn", ["Zed"], "1975-05-06")},
        {"resource": _fhir_patient("p3", "6003", "Partial", ["Date"], "1975")},
        {"resource": {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
                      "subject": {"reference": "Patient/p1"}, "period": {"start": "2024-02-03T09:00:00Z", "end": "2024-02-03T09:30:00Z"}}},
        {"resource": {"resourceType": "Encounter", "id": "e2", "subject": {"reference": "Patient/p1"}, "period": {"start": "2025-01-10"}}},
        {"resource": {"resourceType": "Encounter", "id": "e3", "subject": {"reference": "Patient/unknown"}, "period": {"start": "2025-01-10"}}},
        {"resource": {"resourceType": "Observation", "id": "o1"}},
    ]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    report = _import(cls_app, path)
    assert (report.created, report.encounters_added) == (2, 2)
    assert [r.where for r in report.rejected] == ["entry 2", "entry 6"]
    assert "MRN" in report.rejected[0].reason and "not in the index" in report.rejected[1].reason
    assert {w.where for w in report.warnings} == {"entry 3", "entry 7"}
    again = _import(cls_app, path)
    assert (again.unchanged, again.encounters_unchanged) == (2, 2)
    with cls_app.db.read() as conn:
        pid = charts.resolve_patient(conn, "6001")
        mai = charts.get_patient(conn, pid)
        assert charts.last_encounter(conn, pid) == D(2025, 1, 10)
        previous = conn.execute(select(patient_names.c.family_name).where(patient_names.c.patient_id == pid, patient_names.c.kind == "previous")).scalar()
    assert (mai.given_name, mai.middle_name, mai.sex) == ("Mai", "Thi", "female") and previous == "OldNguyen"
    assert {"kind": "member_id", "system": "urn:payer:acme", "value": "M-p1"} in mai.identifiers


def test_ndjson_and_csv_encounters(cls_app: App, tmp_path: Path) -> None:
    nd = tmp_path / "patients.ndjson"
    nd.write_text(json.dumps(_fhir_patient("p9", "7001", "Kaur", ["Simran"], "1999-09-09")) + "\n{broken json\n")
    report = _import(cls_app, nd)
    assert report.created == 1 and [r.where for r in report.rejected] == ["line 2"]
    enc = write_lines(tmp_path / "visits.csv", ["mrn,visit_date,visit_type", "7001,2023-05-01,office", "7001,05/02/2024,office", "9999,2024-01-01,x"])
    report = _import(cls_app, enc)
    assert report.encounters_added == 2 and [r.where for r in report.rejected] == ["row 4"]
    with cls_app.db.read() as conn:
        assert charts.last_encounter(conn, charts.resolve_patient(conn, "7001")) == D(2024, 5, 2)
