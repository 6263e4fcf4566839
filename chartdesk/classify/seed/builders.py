"""One builder per document class: a page of text with varied letterhead, layout and wording.

Each builder draws its structure at random (field order, label words, separators,
sections present, case), so no two documents of a class share a template. The
classifier must learn what a lab result *is*, not what one template looks like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from chartdesk.classify.seed import vocab as V


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    middle: str
    dob: dt.date
    mrn: str
    phone: str
    member_id: str


class Gen:
    """Random choices with the helpers every builder shares."""

    def __init__(self, rng: Random) -> None:
        self.r = rng

    def pick(self, *options: str) -> str:
        return self.r.choice(options)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def date(self, start_year: int = 2019, end_year: int = 2025) -> dt.date:
        start = dt.date(start_year, 1, 1).toordinal()
        return dt.date.fromordinal(self.r.randint(start, dt.date(end_year, 12, 28).toordinal()))

    def fmt_date(self, d: dt.date) -> str:
        style = self.r.randrange(7)
        if style == 0:
            return d.strftime("%m/%d/%Y")
        if style == 1:
            return f"{d.month}/{d.day}/{d.year}"
        if style == 2:
            return d.strftime("%m-%d-%Y")
        if style == 3:
            return d.strftime("%B %d, %Y").replace(" 0", " ")
        if style == 4:
            return d.strftime("%b %d, %Y")
        if style == 5:
            return d.isoformat()
        return d.strftime("%m/%d/%y")

    def person(self) -> Person:
        r = self.r
        dob = dt.date.fromordinal(r.randint(dt.date(1930, 1, 1).toordinal(), dt.date(2020, 12, 31).toordinal()))
        return Person(r.choice(V.GIVEN), r.choice(V.FAMILY), r.choice("ABCDEFGHJKLMNPRSTW"), dob,
                      str(r.randint(1000, 9999999)).zfill(r.choice((6, 7, 8))), self.phone(),
                      f"{''.join(r.choices('ABCDEFGHJKLMNPQRSTUVWXYZ', k=3))}{r.randint(100000000, 999999999)}")

    def phone(self) -> str:
        a, b, c = self.r.randint(201, 989), self.r.randint(200, 999), self.r.randint(0, 9999)
        return self.pick(f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}")

    def clinician(self) -> str:
        name = f"{self.r.choice(V.GIVEN)} {self.r.choice(V.CLINICIAN_FAMILY)}"
        return self.pick(f"Dr. {name}", f"{name}, MD", f"{name}, M.D.", f"{name}, DO", f"{name}, NP", f"Dr {name}")

    def name_as(self, p: Person) -> str:
        return self.pick(f"{p.family.upper()}, {p.given.upper()} {p.middle}", f"{p.given} {p.family}",
                         f"{p.family}, {p.given}", f"{p.given} {p.middle}. {p.family}", f"{p.given.upper()} {p.family.upper()}")

    def address(self) -> str:
        r = self.r
        return f"{r.randint(10, 9999)} {r.choice(V.STREETS)}, {r.choice(V.CITIES)}, {r.choice(V.STATES)} {r.randint(10000, 99999)}"

    def clinic(self) -> str:
        return f"{self.r.choice(V.CLINIC_FIRST)} {self.r.choice(V.CLINIC_KIND)}"

    def letterhead(self, name: str | None = None) -> str:
        name = name or self.clinic()
        lines = [name.upper() if self.chance(0.5) else name]
        if self.chance(0.8):
            lines.append(self.address())
        if self.chance(0.7):
            lines.append(self.pick("Tel", "Phone", "P", "Ph") + ": " + self.phone() + ("   Fax: " + self.phone() if self.chance(0.6) else ""))
        if self.chance(0.2):
            lines.append("www." + name.split()[0].lower() + self.pick("health", "clinic", "md") + ".com")
        return "\n".join(lines)

    def field(self, label: str, value: str) -> str:
        sep = self.pick(": ", ": ", ":  ", " - ", "  ", ": ")
        return f"{label}{sep}{value}"

    def patient_block(self, p: Person, *, with_mrn: bool = True, with_phone: bool = False) -> str:
        parts = [self.field(self.pick("Patient", "Patient Name", "Name", "PATIENT", "Pt Name"), self.name_as(p)),
                 self.field(self.pick("DOB", "Date of Birth", "D.O.B.", "Birth Date"), self.fmt_date(p.dob))]
        if with_mrn and self.chance(0.75):
            parts.append(self.field(self.pick("MRN", "Medical Record #", "Chart #", "Patient ID", "MR#"), p.mrn))
        if self.chance(0.4):
            parts.append(self.field(self.pick("Sex", "Gender"), self.pick("F", "M", "Female", "Male")))
        if with_phone or self.chance(0.15):
            parts.append(self.field(self.pick("Phone", "Home Phone", "Tel"), p.phone))
        self.r.shuffle(parts[2:])
        joiner = self.pick("\n", "   ", "\n", "    ")
        return joiner.join(parts)

    def sentences(self, bank: list[str], low: int, high: int) -> str:
        chosen = self.r.sample(bank, k=min(len(bank), self.r.randint(low, high)))
        return " ".join(chosen)

    def case(self, text: str) -> str:
        return text.upper() if self.chance(0.15) else text


Builder = Callable[[Gen, Person], str]
