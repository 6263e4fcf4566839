"""The matcher's in-memory view of the patient master index.

Loaded in one short read transaction and kept until `meta.patients_version`
changes (charts/ bumps it on every import, correction and merge). Holds only
what matching needs: name keys, birth dates, MRNs, phones, member ids, and the
name frequencies for term-frequency adjusted weights.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import Connection, select

from chartdesk.classify.names import name_key, name_parts, soundex
from chartdesk.db import get_meta, patient_identifiers, patient_names, patients

PATIENTS_VERSION_KEY = "patients_version"


@dataclass(frozen=True, slots=True)
class NameKeys:
    family: str
    given: str
    middle: str = ""
    kind: str = "official"  # official | alias | previous


@dataclass(frozen=True, slots=True)
class PatientRecord:
    id: int
    mrn: str
    names: tuple[NameKeys, ...]
    birth_date: dt.date | None = None
    phone: str | None = None
    member_ids: tuple[str, ...] = ()
    other_mrns: tuple[str, ...] = ()

    @property
    def mrns(self) -> tuple[str, ...]:
        return (self.mrn, *self.other_mrns)


@cache
def population_shares() -> dict[tuple[str, str], float]:
    """(kind, key) -> share of the population with that name (0..1)."""
    shares: dict[tuple[str, str], float] = {}
    text = resources.files("chartdesk.classify").joinpath("common_names.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            kind, name, percent = (p.strip() for p in line.split(","))
            shares[(kind, name_key(name))] = float(percent) / 100
    return shares


class PatientIndex:
    """Patients by the keys the matcher blocks on, with name frequencies."""

    RARE_NAME_SHARE = 1 / 50_000

    def __init__(self, records: Iterable[PatientRecord], version: str = "") -> None:
        self.version = version
        self.records = {r.id: r for r in records}
        self.by_family: dict[str, set[int]] = defaultdict(set)
        self.by_soundex: dict[str, set[int]] = defaultdict(set)
        self.by_dob: dict[dt.date, set[int]] = defaultdict(set)
        self.by_mrn: dict[str, set[int]] = defaultdict(set)
        self.by_member: dict[str, set[int]] = defaultdict(set)
        self.by_phone: dict[str, set[int]] = defaultdict(set)
        self.family_counts: Counter[str] = Counter()
        self.given_counts: Counter[str] = Counter()
        for record in self.records.values():
            self._add(record)

    def _add(self, r: PatientRecord) -> None:
        for n in r.names:
            for part in {n.family, *name_parts(n.family)}:
                self.by_family[part].add(r.id)
                self.by_soundex[soundex(part)].add(r.id)
        for family in {n.family for n in r.names}:
            self.family_counts[family] += 1
        for given in {n.given for n in r.names}:
            self.given_counts[given] += 1
        if r.birth_date:
            self.by_dob[r.birth_date].add(r.id)
        for mrn in r.mrns:
            self.by_mrn[mrn.upper()].add(r.id)
        for member in r.member_ids:
            self.by_member[member].add(r.id)
        if r.phone:
            self.by_phone[r.phone].add(r.id)

    def __len__(self) -> int:
        return len(self.records)

    def name_share(self, kind: str, key: str) -> float:
        """How common a name is: the larger of its share in this index and in the population."""
        counts = self.family_counts if kind == "family" else self.given_counts
        in_index = counts.get(key, 0) / max(len(self.records), 1)
        return max(in_index, population_shares().get((kind, key), 0.0), self.RARE_NAME_SHARE)

    @classmethod
    def load(cls, conn: Connection) -> PatientIndex:
        version = get_meta(conn, PATIENTS_VERSION_KEY, "0") or "0"
        names: dict[int, list[NameKeys]] = defaultdict(list)
        for row in conn.execute(select(patient_names)):
            names[row.patient_id].append(NameKeys(row.family_key, row.given_key, name_key(row.middle_name or ""), row.kind))
        members: dict[int, list[str]] = defaultdict(list)
        mrns: dict[int, list[str]] = defaultdict(list)
        for row in conn.execute(select(patient_identifiers)):
            (members if row.kind == "member_id" else mrns if row.kind == "mrn" else defaultdict(list))[row.patient_id].append(row.norm)
        records = [
            PatientRecord(
                id=row.id, mrn=row.mrn, names=tuple(names.get(row.id) or [NameKeys(name_key(row.family_name), name_key(row.given_name))]),
                birth_date=row.birth_date, phone=row.phone, member_ids=tuple(members.get(row.id, ())),
                other_mrns=tuple(mrns.get(row.id, ())),
            )
            for row in conn.execute(select(patients).where(patients.c.merged_into.is_(None)))
        ]
        return cls(records, version)


def current_version(conn: Connection) -> str:
    return get_meta(conn, PATIENTS_VERSION_KEY, "0") or "0"
