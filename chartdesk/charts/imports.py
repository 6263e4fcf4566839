"""Importing a file into the patient index: patients, then encounters, audited,
in short transactions of a few hundred records; then the documents waiting for
a patient are sent to be matched again."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, insert, select, update

from chartdesk import audit
from chartdesk.charts.importers import FHIR_PATIENT_SYSTEM, EncounterInput, Rejected, read_file
from chartdesk.charts.patients import (
    PatientInput,
    patient_by_external,
    patient_by_mrn,
    surviving,
    upsert_patient,
)
from chartdesk.charts.rematch import requeue_for_matching
from chartdesk.config import Settings
from chartdesk.db import Database, encounters

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class ImportReport:
    file_format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    encounters_added: int = 0
    encounters_updated: int = 0
    encounters_unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[Rejected] = field(default_factory=list)
    requeued_documents: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected


def import_file(db: Database, settings: Settings, path: Path, principal: audit.Actor, *, today: dt.date | None = None) -> ImportReport:
    parsed = read_file(path, mrn_patterns=settings.match.mrn_patterns, today=today)
    report = ImportReport(parsed.format, rejected=list(parsed.rejected), warnings=list(parsed.warnings))
    seen: dict[str, PatientInput] = {}
    for start in range(0, len(parsed.patients), BATCH):
        with db.write() as conn:
            for where, record, _fhir_id in parsed.patients[start:start + BATCH]:
                if _duplicate(record, seen, where, report):
                    continue
                _apply_patient(conn, record, parsed.format, principal, report)
    for start in range(0, len(parsed.encounters), BATCH):
        with db.write() as conn:
            for enc in parsed.encounters[start:start + BATCH]:
                _apply_encounter(conn, enc, parsed.format, report)
    if report.created or report.updated:
        with db.write() as conn:
            report.requeued_documents = requeue_for_matching(conn)
    log.info("import: %d created, %d updated, %d unchanged, %d rejected, %d documents to match again",
             report.created, report.updated, report.unchanged, len(report.rejected), report.requeued_documents)
    return report


def _duplicate(record: PatientInput, seen: dict[str, PatientInput], where: str, report: ImportReport) -> bool:
    earlier = seen.get(record.mrn)
    if earlier is None:
        seen[record.mrn] = record
        return False
    if earlier != record:
        report.rejected.append(Rejected(where, f"MRN {record.mrn} appears earlier in the file with different details; fix one of them"))
    else:
        report.unchanged += 1
    return True


def _apply_patient(conn: Connection, record: PatientInput, fmt: str, principal: audit.Actor, report: ImportReport) -> None:
    result = upsert_patient(conn, record, source="fhir" if fmt == "fhir" else "csv")
    if result.change == "unchanged":
        report.unchanged += 1
        return
    setattr(report, result.change, getattr(report, result.change) + 1)
    audit.record(conn, audit.PatientChanged(principal=principal, patient_id=result.patient_id, change=result.change,
                                            fields=result.fields, extra={"via": f"import:{fmt}"}))


def _encounter_patient(conn: Connection, enc: EncounterInput) -> int | None:
    pid = patient_by_external(conn, FHIR_PATIENT_SYSTEM, enc.patient_ref) if enc.patient_ref else None
    if pid is None and enc.mrn:
        pid = patient_by_mrn(conn, enc.mrn)
    return surviving(conn, pid) if pid is not None else None


def _apply_encounter(conn: Connection, enc: EncounterInput, fmt: str, report: ImportReport) -> None:
    pid = _encounter_patient(conn, enc)
    if pid is None:
        report.rejected.append(Rejected(enc.where, "the encounter's patient is not in the index; import the patient first"))
        return
    change = upsert_encounter(conn, pid, enc, source="fhir" if fmt == "fhir" else "csv")
    setattr(report, f"encounters_{change}", getattr(report, f"encounters_{change}") + 1)


def upsert_encounter(conn: Connection, patient_id: int, enc: EncounterInput, *, source: str) -> str:
    """Add or update one encounter; idempotent by external id, else by patient, date and kind."""
    key = (encounters.c.external_id == enc.external_id) if enc.external_id else (
        (encounters.c.patient_id == patient_id) & (encounters.c.start_date == enc.start) & (encounters.c.kind == enc.kind))
    row = conn.execute(select(encounters).where(key)).first()
    values = {"patient_id": patient_id, "start_date": enc.start, "end_date": enc.end, "kind": enc.kind, "status": enc.status}
    if row is None:
        conn.execute(insert(encounters).values(external_id=enc.external_id, source=source, **values))
        return "added"
    if all(row._mapping[k] == v for k, v in values.items()):
        return "unchanged"
    conn.execute(update(encounters).where(encounters.c.id == row.id).values(**values))
    return "updated"


def last_encounter(conn: Connection, patient_id: int) -> dt.date | None:
    """The day of the patient's last encounter (its end, or its start), for retention."""
    rows: Sequence[tuple[dt.date, dt.date | None]] = conn.execute(
        select(encounters.c.start_date, encounters.c.end_date).where(encounters.c.patient_id == patient_id)).all()
    days = [end or start for start, end in rows]
    return max(days) if days else None
