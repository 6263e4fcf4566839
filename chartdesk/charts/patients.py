"""The patient master index: create, update, look up.

`upsert_patient` is idempotent by MRN: the same record imported twice changes
nothing the second time and says so. Every change bumps `meta.patients_version`
so the match stage reloads its view of the index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from chartdesk.classify import PATIENTS_VERSION_KEY, member_norm, name_key, phone_norm
from chartdesk.db import (
    bump_counter,
    encounters,
    patient_identifiers,
    patient_names,
    patients,
    utcnow,
)
from chartdesk.errors import NotFoundError

NAME_KINDS = ("official", "alias", "previous")


@dataclass(frozen=True, slots=True)
class NameInput:
    family: str
    given: str
    middle: str = ""
    kind: str = "alias"  # alias | previous


@dataclass(frozen=True, slots=True)
class IdentifierInput:
    kind: str  # member_id | mrn | external
    value: str
    system: str = ""


@dataclass(frozen=True, slots=True)
class PatientInput:
    mrn: str
    family_name: str
    given_name: str
    middle_name: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    phone: str | None = None
    address: str | None = None
    other_names: tuple[NameInput, ...] = ()
    identifiers: tuple[IdentifierInput, ...] = ()


@dataclass(frozen=True, slots=True)
class UpsertResult:
    patient_id: int
    change: str  # created | updated | unchanged
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientView:
    id: int
    mrn: str
    family_name: str
    given_name: str
    middle_name: str | None
    birth_date: dt.date | None
    sex: str | None
    phone: str | None
    address: str | None
    restricted: bool
    merged_into: int | None
    names: list[dict[str, str]] = field(default_factory=list)
    identifiers: list[dict[str, str]] = field(default_factory=list)
    last_encounter: dt.date | None = None

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}" + (f" {self.middle_name}" if self.middle_name else "")


def bump_patients_version(conn: Connection) -> None:
    bump_counter(conn, PATIENTS_VERSION_KEY)


def _columns(p: PatientInput) -> dict[str, Any]:
    return {
        "family_name": p.family_name.strip(), "given_name": p.given_name.strip(), "middle_name": (p.middle_name or "").strip() or None,
        "birth_date": p.birth_date, "sex": p.sex, "phone": phone_norm(p.phone) if p.phone else None, "address": p.address,
    }


def upsert_patient(conn: Connection, p: PatientInput, *, source: str) -> UpsertResult:
    """Create the patient with this MRN, or bring its record up to date."""
    row = conn.execute(select(patients).where(patients.c.mrn == p.mrn)).first()
    values = _columns(p)
    now = utcnow()
    if row is None:
        pid = conn.execute(insert(patients).values(mrn=p.mrn, restricted=0, source=source, created_at=now, updated_at=now, **values)).inserted_primary_key[0]
        _write_names(conn, int(pid), p)
        _write_identifiers(conn, int(pid), p)
        bump_patients_version(conn)
        return UpsertResult(int(pid), "created", tuple(k for k, v in values.items() if v))
    current = row._mapping
    changed = tuple(k for k, v in values.items() if v is not None and current[k] != v)
    names_changed = _write_names(conn, row.id, p)
    ids_changed = _write_identifiers(conn, row.id, p)
    if changed:
        conn.execute(update(patients).where(patients.c.id == row.id).values(updated_at=now, **{k: values[k] for k in changed}))
    fields = changed + (("names",) if names_changed else ()) + (("identifiers",) if ids_changed else ())
    if fields:
        bump_patients_version(conn)
    return UpsertResult(row.id, "updated" if fields else "unchanged", fields)


def _name_rows(pid: int, p: PatientInput) -> set[tuple[Any, ...]]:
    names = [NameInput(p.family_name, p.given_name, p.middle_name or "", "official"), *p.other_names]
    return {(pid, n.kind, n.family.strip(), n.given.strip(), (n.middle or "").strip() or None, name_key(n.family), name_key(n.given))
            for n in names if n.family.strip() and n.given.strip()}


def _write_names(conn: Connection, pid: int, p: PatientInput) -> bool:
    """Make the stored names exactly the record's names (official first). True if they changed."""
    cols = ("patient_id", "kind", "family_name", "given_name", "middle_name", "family_key", "given_key")
    wanted = _name_rows(pid, p)
    have = {tuple(r) for r in conn.execute(select(*(patient_names.c[c] for c in cols)).where(patient_names.c.patient_id == pid))}
    if _merged_names(conn, pid):
        wanted |= {h for h in have if h[1] != "official"}  # names kept from merged records stay
    if wanted == have:
        return False
    conn.execute(delete(patient_names).where(patient_names.c.patient_id == pid))
    conn.execute(insert(patient_names), [dict(zip(cols, w, strict=True)) for w in sorted(wanted, key=lambda w: w[1] != "official")])
    return True


def _merged_names(conn: Connection, pid: int) -> bool:
    return conn.execute(select(func.count()).select_from(patients).where(patients.c.merged_into == pid)).scalar_one() > 0


def _write_identifiers(conn: Connection, pid: int, p: PatientInput) -> bool:
    added = False
    for ident in p.identifiers:
        norm = member_norm(ident.value)
        exists = conn.execute(select(patient_identifiers.c.id).where(
            patient_identifiers.c.patient_id == pid, patient_identifiers.c.kind == ident.kind,
            patient_identifiers.c.system == ident.system, patient_identifiers.c.norm == norm)).first()
        if exists is None and norm:
            conn.execute(insert(patient_identifiers).values(patient_id=pid, kind=ident.kind, system=ident.system, value=ident.value.strip(), norm=norm))
            added = True
    return added


def patient_by_mrn(conn: Connection, mrn: str) -> int | None:
    return conn.execute(select(patients.c.id).where(patients.c.mrn == mrn)).scalar()


def patient_by_external(conn: Connection, system: str, value: str) -> int | None:
    return conn.execute(select(patient_identifiers.c.patient_id).where(
        patient_identifiers.c.kind == "external", patient_identifiers.c.system == system,
        patient_identifiers.c.norm == member_norm(value))).scalar()


def resolve_patient(conn: Connection, ref: str) -> int:
    """A patient by MRN, or by id written as '#12'. Follows merges to the surviving record."""
    pid = int(ref[1:]) if ref.startswith("#") and ref[1:].isdigit() else patient_by_mrn(conn, ref)
    row = conn.execute(select(patients.c.id, patients.c.merged_into).where(patients.c.id == pid)).first() if pid else None
    if row is None:
        raise NotFoundError(f"no patient with MRN or id {ref}", remedy="check the MRN with `chartdesk patients list --search NAME`")
    return surviving(conn, row.id)


def surviving(conn: Connection, pid: int) -> int:
    seen = set()
    while True:
        merged = conn.execute(select(patients.c.merged_into).where(patients.c.id == pid)).scalar()
        if merged is None or merged in seen:
            return pid
        seen.add(pid)
        pid = merged


def get_patient(conn: Connection, pid: int) -> PatientView:
    row = conn.execute(select(patients).where(patients.c.id == pid)).first()
    if row is None:
        raise NotFoundError(f"no patient with id {pid}", remedy="list patients with `chartdesk patients list`")
    m = row._mapping
    names = [{"kind": r.kind, "family": r.family_name, "given": r.given_name, "middle": r.middle_name or ""}
             for r in conn.execute(select(patient_names).where(patient_names.c.patient_id == pid).order_by(patient_names.c.id))]
    idents = [{"kind": r.kind, "system": r.system, "value": r.value}
              for r in conn.execute(select(patient_identifiers).where(patient_identifiers.c.patient_id == pid))]
    last = conn.execute(select(func.max(func.coalesce(encounters.c.end_date, encounters.c.start_date))).where(encounters.c.patient_id == pid)).scalar()
    return PatientView(pid, m["mrn"], m["family_name"], m["given_name"], m["middle_name"], m["birth_date"], m["sex"], m["phone"],
                       m["address"], bool(m["restricted"]), m["merged_into"], names, idents, last)


def list_patients(conn: Connection, *, search: str | None = None, limit: int = 50, include_merged: bool = False) -> list[PatientView]:
    q = select(patients.c.id).order_by(patients.c.family_name, patients.c.given_name).limit(limit)
    if not include_merged:
        q = q.where(patients.c.merged_into.is_(None))
    if search:
        key = f"%{name_key(search)}%"
        named = select(patient_names.c.patient_id).where(or_(patient_names.c.family_key.like(key), patient_names.c.given_key.like(key)))
        q = q.where(or_(patients.c.mrn == search.strip(), patients.c.id.in_(named)))
    return [get_patient(conn, r.id) for r in conn.execute(q)]
