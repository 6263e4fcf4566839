"""Reading patients and encounters from CSV files and FHIR R4 (a Bundle or NDJSON).

Parsing is separate from writing: `read_file` turns a file into typed records
and a list of rejected rows, each with a reason a receptionist can act on
("row 7: no date of birth we can read: '31/31/1990'").
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartdesk.charts.patients import IdentifierInput, NameInput, PatientInput
from chartdesk.classify import DateKind, parse_date
from chartdesk.errors import BadInputError

FHIR_PATIENT_SYSTEM = "fhir:Patient"


@dataclass(frozen=True, slots=True)
class Rejected:
    where: str  # "row 7", "line 3", "entry 2"
    reason: str


@dataclass(frozen=True, slots=True)
class EncounterInput:
    start: dt.date
    end: dt.date | None = None
    external_id: str | None = None
    kind: str = ""
    status: str = ""
    mrn: str | None = None
    patient_ref: str | None = None  # a FHIR Patient id
    where: str = ""


@dataclass
class Parsed:
    format: str  # csv-patients | csv-encounters | fhir
    patients: list[tuple[str, PatientInput, str | None]] = field(default_factory=list)  # (where, record, fhir id)
    encounters: list[EncounterInput] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)


def read_file(path: Path, *, mrn_patterns: tuple[str, ...] = (r".+",), today: dt.date | None = None) -> Parsed:
    name = path.name.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError(f"{path.name} is not UTF-8 text", remedy="export the file again as UTF-8 CSV or FHIR JSON") from None
    if name.endswith((".ndjson", ".jsonl")):
        return _fhir(_ndjson(text), mrn_patterns, today)
    if name.endswith(".json"):
        return _fhir(_bundle(text), mrn_patterns, today)
    if name.endswith((".csv", ".txt", ".tsv")):
        return _csv(text, mrn_patterns, today)
    raise BadInputError(f"{path.name}: unknown kind of file", remedy="import a .csv file, a FHIR Bundle (.json) or FHIR NDJSON (.ndjson)")


# ---- CSV ----

_HEADERS = {
    "mrn": ("mrn", "medical_record_number", "chart_number", "patient_mrn", "record_number"),
    "family": ("family_name", "last_name", "surname", "last", "family"),
    "given": ("given_name", "first_name", "first", "given"),
    "middle": ("middle_name", "middle", "middle_initial"),
    "dob": ("birth_date", "dob", "date_of_birth", "birthdate"),
    "sex": ("sex", "gender"),
    "phone": ("phone", "phone_number", "home_phone", "mobile", "telephone"),
    "address": ("address", "street_address"),
    "aliases": ("aliases", "other_names", "also_known_as", "aka"),
    "previous": ("previous_names", "former_names"),
    "maiden": ("maiden_name", "birth_surname"),
    "member": ("member_id", "insurance_member_id", "insurance_id", "member_ids"),
    "payer": ("payer", "insurance", "insurance_company"),
    "enc_date": ("encounter_date", "visit_date", "start_date", "date_of_service", "encounter_start"),
    "enc_end": ("end_date", "encounter_end", "discharge_date"),
    "enc_id": ("encounter_id", "visit_id"),
    "enc_kind": ("encounter_type", "visit_type", "type", "kind", "class"),
    "enc_status": ("status",),
}


def _columns(header: list[str]) -> dict[str, str]:
    normalised = {re.sub(r"[^a-z0-9]+", "_", h.strip().lower()).strip("_"): h for h in header}
    return {key: normalised[name] for key, names in _HEADERS.items() for name in names if name in normalised}


def _csv(text: str, mrn_patterns: tuple[str, ...], today: dt.date | None) -> Parsed:
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|") if text.strip() else csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    cols = _columns(reader.fieldnames or [])
    if "mrn" not in cols:
        raise BadInputError("the CSV file has no MRN column", remedy="name one column mrn (or medical_record_number)")
    encounters = "enc_date" in cols and "family" not in cols
    parsed = Parsed("csv-encounters" if encounters else "csv-patients")
    if not encounters and not {"family", "given"} <= cols.keys():
        raise BadInputError("the CSV file needs family_name and given_name columns (or last_name, first_name)",
                            remedy="rename the columns and import again")
    for n, row in enumerate(reader, start=2):
        get = lambda k, row=row: (row.get(cols[k]) or "").strip() if k in cols else ""  # noqa: E731
        where = f"row {n}"
        try:
            if encounters:
                parsed.encounters.append(_csv_encounter(get, where, today))
            else:
                parsed.patients.append((where, _csv_patient(get, mrn_patterns, today), None))
        except RowError as exc:
            parsed.rejected.append(Rejected(where, str(exc)))
    return parsed


class RowError(ValueError):
    """One row that cannot be imported; the message says why."""


def _check_mrn(mrn: str, patterns: tuple[str, ...]) -> str:
    if not mrn:
        raise RowError("no MRN")
    if not any(re.fullmatch(p, mrn) for p in patterns):
        raise RowError(f"MRN {mrn!r} is not in this office's MRN format (match.mrn_patterns in config.toml)")
    return mrn


def _date(value: str, what: str, today: dt.date | None, *, kind: DateKind = DateKind.birth) -> dt.date:
    found = parse_date(value, kind=kind, today=today) if value else None
    if found is None:
        raise RowError(f"no {what} we can read: {value!r}" if value else f"no {what}")
    if kind is DateKind.birth and found > (today or dt.date.today()):
        raise RowError(f"the {what} {value!r} is in the future")
    return found


_SEX = {"m": "male", "male": "male", "f": "female", "female": "female", "o": "other", "other": "other", "u": "unknown", "unknown": "unknown", "x": "other"}


def _csv_patient(get: Any, mrn_patterns: tuple[str, ...], today: dt.date | None) -> PatientInput:
    family, given = get("family"), get("given")
    if not family or not given:
        raise RowError("a family name and a given name are both needed")
    others = [*_name_list(get("aliases"), "alias"), *_name_list(get("previous"), "previous")]
    if get("maiden"):
        others.append(NameInput(get("maiden"), given, "", "previous"))
    members = [IdentifierInput("member_id", m, get("payer")) for m in re.split(r"[;|]", get("member")) if m.strip()]
    return PatientInput(
        mrn=_check_mrn(get("mrn"), mrn_patterns), family_name=family, given_name=given, middle_name=get("middle") or None,
        birth_date=_date(get("dob"), "date of birth", today), sex=_SEX.get(get("sex").lower()) if get("sex") else None,
        phone=get("phone") or None, address=get("address") or None, other_names=tuple(others), identifiers=tuple(members),
    )


def _name_list(value: str, kind: str) -> Iterator[NameInput]:
    """'Doe, Jane; Smith, Janie' -> names."""
    for part in re.split(r"[;|]", value):
        family, _, given = part.partition(",")
        if family.strip() and given.strip():
            yield NameInput(family.strip(), given.strip().split()[0], " ".join(given.split()[1:]), kind)


def _csv_encounter(get: Any, where: str, today: dt.date | None) -> EncounterInput:
    if not get("mrn"):
        raise RowError("no MRN")
    start = _date(get("enc_date"), "encounter date", today, kind=DateKind.document)
    end = _date(get("enc_end"), "end date", today, kind=DateKind.document) if get("enc_end") else None
    return EncounterInput(start, end, get("enc_id") or None, get("enc_kind"), get("enc_status"), mrn=get("mrn"), where=where)


# ---- FHIR R4 ----


def _bundle(text: str) -> Iterator[tuple[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"the file is not valid JSON (line {exc.lineno})", remedy="export the FHIR Bundle again") from None
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        for i, entry in enumerate(data.get("entry") or [], start=1):
            yield f"entry {i}", (entry or {}).get("resource")
    elif isinstance(data, dict) and data.get("resourceType"):
        yield "resource 1", data
    else:
        raise BadInputError("the JSON file is not a FHIR Bundle or resource", remedy="export a FHIR R4 Bundle of Patient and Encounter resources")


def _ndjson(text: str) -> Iterator[tuple[str, Any]]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {n}", json.loads(line)
        except json.JSONDecodeError:
            yield f"line {n}", None


def _fhir(resources: Iterator[tuple[str, Any]], mrn_patterns: tuple[str, ...], today: dt.date | None) -> Parsed:
    parsed = Parsed("fhir")
    for where, res in resources:
        kind = res.get("resourceType") if isinstance(res, dict) else None
        try:
            if kind == "Patient":
                record, warning = _fhir_patient(res, mrn_patterns, today)
                parsed.patients.append((where, record, res.get("id")))
                if warning:
                    parsed.warnings.append(Rejected(where, warning))
            elif kind == "Encounter":
                parsed.encounters.append(_fhir_encounter(res, where, today))
            elif kind is None:
                parsed.rejected.append(Rejected(where, "not a FHIR resource (not JSON, or no resourceType)"))
            else:
                parsed.warnings.append(Rejected(where, f"{kind} resources are not imported; skipped"))
        except RowError as exc:
            parsed.rejected.append(Rejected(where, f"{kind} {res.get('id') or ''}: {exc}".replace("  ", " ")))
    return parsed


def _codes(ident: dict[str, Any]) -> set[str]:
    return {c.get("code", "") for c in ((ident.get("type") or {}).get("coding") or [])}


def _fhir_identifiers(res: dict[str, Any], mrn_patterns: tuple[str, ...]) -> tuple[str, list[IdentifierInput]]:
    mrn: str | None = None
    others: list[IdentifierInput] = []
    for ident in res.get("identifier") or []:
        value, system, codes = (ident.get("value") or "").strip(), ident.get("system") or "", _codes(ident)
        if not value:
            continue
        if mrn is None and ("MR" in codes or "mrn" in system.lower()):
            mrn = value
        elif codes & {"MB", "SN"} or "member" in system.lower():
            others.append(IdentifierInput("member_id", value, system))
        elif "MR" in codes:
            others.append(IdentifierInput("mrn", value, system))
        else:
            others.append(IdentifierInput("external", value, system))
    if res.get("id"):
        others.append(IdentifierInput("external", str(res["id"]), FHIR_PATIENT_SYSTEM))
    if mrn is None:
        raise RowError("no MRN (an identifier with type code MR)")
    return _check_mrn(mrn, mrn_patterns), others


_PREVIOUS_USES = {"old", "maiden"}


def _fhir_names(res: dict[str, Any]) -> tuple[NameInput, list[NameInput]]:
    names = [n for n in res.get("name") or [] if n.get("family") and n.get("given")]
    if not names:
        raise RowError("no name with both a family and a given name")
    names.sort(key=lambda n: {"official": 0, "usual": 1}.get(n.get("use", ""), 2))
    first = names[0]
    official = NameInput(first["family"], first["given"][0], " ".join(first["given"][1:]), "official")
    others = [NameInput(n["family"], n["given"][0], " ".join(n["given"][1:]), "previous" if n.get("use") in _PREVIOUS_USES else "alias")
              for n in names[1:]]
    return official, others


def _fhir_patient(res: dict[str, Any], mrn_patterns: tuple[str, ...], today: dt.date | None) -> tuple[PatientInput, str | None]:
    mrn, identifiers = _fhir_identifiers(res, mrn_patterns)
    official, others = _fhir_names(res)
    birth, warning = None, None
    raw = res.get("birthDate") or ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        birth = _date(raw, "birthDate", today)
    elif raw:
        warning = f"birthDate {raw!r} is not a full date; imported without one"
    phones = [t.get("value") for t in res.get("telecom") or [] if t.get("system") == "phone" and t.get("value")]
    return PatientInput(
        mrn=mrn, family_name=official.family, given_name=official.given, middle_name=official.middle or None, birth_date=birth,
        sex=res.get("gender"), phone=phones[0] if phones else None, address=_fhir_address(res), other_names=tuple(others),
        identifiers=tuple(identifiers),
    ), warning


def _fhir_address(res: dict[str, Any]) -> str | None:
    for a in res.get("address") or []:
        if a.get("text"):
            return str(a["text"])
        parts = [*(a.get("line") or []), a.get("city"), a.get("state"), a.get("postalCode")]
        joined = ", ".join(p for p in parts if p)
        if joined:
            return joined
    return None


def _fhir_encounter(res: dict[str, Any], where: str, today: dt.date | None) -> EncounterInput:
    period = res.get("period") or {}
    if not period.get("start"):
        raise RowError("no period.start")
    start = _date(period["start"][:10], "period.start", today, kind=DateKind.document)
    end = _date(period["end"][:10], "period.end", today, kind=DateKind.document) if period.get("end") else None
    subject = res.get("subject") or {}
    ref = subject.get("reference") or ""
    mrn = (subject.get("identifier") or {}).get("value")
    if not ref.startswith("Patient/") and not mrn:
        raise RowError("no subject (a Patient reference or identifier)")
    cls = res.get("class") or {}
    kind = cls.get("code", "") if isinstance(cls, dict) else ""
    return EncounterInput(start, end, f"fhir:{res['id']}" if res.get("id") else None, kind, res.get("status", ""),
                          mrn=mrn, patient_ref=ref.removeprefix("Patient/") or None, where=where)
