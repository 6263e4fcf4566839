"""A roster of fake patients and clinicians, deterministic from a seed.

Names come from many origins and include the shapes that break naive code:
hyphenated (García-López), apostrophes (O'Brien, D'Angelo), particles
(van der Berg), accents (José, Zoë, Müller) and very short or rare names
(Ng, Ó Súilleabháin). Only Latin-1 characters are used, so every name can be
drawn with the standard PDF fonts and written in a fax header.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

GIVEN_FEMALE = (
    "Mary", "Patricia", "Linda", "Jennifer", "Elizabeth", "Zoë", "Siobhán", "Chloé", "Aaliyah",
    "Ngozi", "Mei", "Priya", "Fatima", "Ingrid", "Astrid", "Anaïs", "María José", "Renée", "Aoife",
    "Yuki", "Olga", "Lucía", "Ana-Sofia", "Thi Lan", "Keisha", "Bridget", "Hana", "Ximena",
)
GIVEN_MALE = (
    "James", "Robert", "Michael", "William", "David", "José", "Jürgen", "Seán", "Mohammed",
    "Oluwaseun", "Wei", "Rajesh", "Tomás", "Björn", "Søren", "François", "Jean-Luc", "Hiroshi", "Dmitri",
    "Kwame", "Liam", "Mateo", "Ángel", "Thanh", "DeShawn", "Piotr", "Eoin", "Nikolaos", "Andrés",
)
FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Wilson",
    "O'Brien", "D'Angelo", "O'Connor-Walsh", "García-López", "Smith-Jones", "Müller", "Nguyen",
    "Ng", "Li", "Patel", "Okonkwo", "Kowalczyk", "Øvergaard", "Abu-Bakr", "van der Berg",
    "St. John", "Hernández", "McAllister", "MacDonald", "Fernández", "Björklund", "Chen",
    "Al-Rashid", "Papadopoulos", "Ó Súilleabháin", "Dubois", "Yamamoto", "Kim", "Ivanova",
    "Adeyemi", "Schäfer", "LeBlanc", "Pérez", "Jones", "Taylor", "Thomas", "Moore",
)
STREETS = (
    "Maple Ave", "Oak Street", "Elm St.", "Washington Blvd", "Lakeview Dr", "Cedar Lane",
    "Pine Road", "Main Street", "Hillcrest Ct", "Riverside Drive", "Sunset Blvd", "Church St",
)
CITIES = (
    ("Springfield", "IL", "627"), ("Riverton", "WY", "825"), ("Fairview", "OR", "970"),
    ("Greenville", "SC", "296"), ("Madison", "WI", "537"), ("Franklin", "TN", "370"),
    ("Clinton", "MA", "015"), ("Salem", "NH", "030"), ("Georgetown", "TX", "786"),
)
INSURERS = (
    "BlueCross BlueShield", "Aetna", "UnitedHealthcare", "Cigna", "Humana", "Kaiser Permanente",
    "Medicaid", "Medicare Part B", "Ambetter", "Oscar Health",
)
SPECIALTIES = (
    "Family Medicine", "Internal Medicine", "Cardiology", "Endocrinology", "Radiology",
    "Orthopaedics", "Gastroenterology", "Pulmonology", "Nephrology", "Dermatology", "Neurology",
)
PRACTICE_WORDS = (
    ("Lakeside", "Family Practice"), ("Riverbend", "Medical Group"), ("St. Agnes", "Hospital"),
    ("Northgate", "Clinic"), ("Summit", "Cardiology Associates"), ("Valley", "Imaging Center"),
    ("Mercy", "General Hospital"), ("Harbor", "Internal Medicine"), ("Quest Point", "Laboratories"),
    ("Cedar Ridge", "Health Partners"), ("Pioneer", "Diagnostic Labs"), ("Oakwood", "Orthopaedics"),
)


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    state: str
    zip: str

    @property
    def line1(self) -> str:
        return self.street

    @property
    def line2(self) -> str:
        return f"{self.city}, {self.state} {self.zip}"

    @property
    def one_line(self) -> str:
        return f"{self.street}, {self.line2}"


@dataclass(frozen=True, slots=True)
class Patient:
    given: str
    family: str
    sex: str  # "F" | "M"
    birth_date: dt.date
    mrn: str  # as printed by the practice: "MRN 0045123", "A-451234"
    mrn_digits: str  # the identifier without decoration: "0045123", "A451234"
    phone: str
    address: Address
    insurer: str
    member_id: str
    group_no: str

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def formal_name(self) -> str:
        """As records systems print it: "O'BRIEN, Zoë"."""
        return f"{self.family.upper()}, {self.given}"


@dataclass(frozen=True, slots=True)
class Practice:
    name: str
    address: Address
    phone: str
    fax: str


@dataclass(frozen=True, slots=True)
class Clinician:
    given: str
    family: str
    credentials: str  # MD, DO, NP, PA-C
    specialty: str
    npi: str
    practice: Practice

    @property
    def display(self) -> str:
        return f"{self.given} {self.family}, {self.credentials}"

    @property
    def doctor(self) -> str:
        return f"Dr. {self.family}" if self.credentials in ("MD", "DO") else self.display


@dataclass(frozen=True, slots=True)
class Roster:
    seed: int
    patients: tuple[Patient, ...]
    clinicians: tuple[Clinician, ...]
    practices: tuple[Practice, ...]


def phone(rng: random.Random) -> str:
    """A fictional number (555-01xx is reserved for fiction)."""
    style = rng.randrange(3)
    area = rng.choice(("212", "312", "415", "503", "617", "713", "802", "919"))
    line = f"01{rng.randrange(100):02d}"
    if style == 0:
        return f"({area}) 555-{line}"
    if style == 1:
        return f"{area}-555-{line}"
    return f"{area}.555.{line}"


def address(rng: random.Random) -> Address:
    city, state, zip3 = rng.choice(CITIES)
    return Address(f"{rng.randrange(3, 9800)} {rng.choice(STREETS)}", city, state, f"{zip3}{rng.randrange(100):02d}")


def mrn(rng: random.Random) -> tuple[str, str]:
    """(printed, bare) medical record number in one of the shapes practices use."""
    style = rng.randrange(3)
    if style == 0:
        digits = f"{rng.randrange(10**5):07d}"
        return f"MRN {digits}", digits
    if style == 1:
        letter = rng.choice("ABCKMT")
        digits = f"{rng.randrange(10**5, 10**6)}"
        return f"{letter}-{digits}", f"{letter}{digits}"
    digits = f"{rng.randrange(10**7):08d}"
    return f"MRN: {digits}", digits


def patient(rng: random.Random) -> Patient:
    sex = rng.choice("FM")
    given = rng.choice(GIVEN_FEMALE if sex == "F" else GIVEN_MALE)
    born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 92))
    printed, bare = mrn(rng)
    insurer = rng.choice(INSURERS)
    member = rng.choice(("XEH", "W", "ZGP", "U", "MCD", "1EG4")) + "".join(rng.choices("0123456789", k=9))
    group = f"{rng.randrange(10**5, 10**6)}-{rng.randrange(100):02d}"
    return Patient(given, rng.choice(FAMILY), sex, born, printed, bare, phone(rng), address(rng),
                   insurer, member, group)


def practice(rng: random.Random, index: int) -> Practice:
    first, second = PRACTICE_WORDS[index % len(PRACTICE_WORDS)]
    return Practice(f"{first} {second}", address(rng), phone(rng), phone(rng))


def clinician(rng: random.Random, practice_: Practice) -> Clinician:
    given = rng.choice(GIVEN_FEMALE + GIVEN_MALE)
    credentials = rng.choices(("MD", "DO", "NP", "PA-C"), weights=(6, 2, 2, 1))[0]
    npi = "1" + "".join(rng.choices("0123456789", k=9))
    return Clinician(given, rng.choice(FAMILY), credentials, rng.choice(SPECIALTIES), npi, practice_)


def roster(seed: int = 0, *, patients: int = 40, clinicians: int = 12) -> Roster:
    """A deterministic roster: the same seed gives the same people."""
    rng = random.Random(f"roster-{seed}")
    practices = tuple(practice(rng, i) for i in range(len(PRACTICE_WORDS)))
    staff = tuple(clinician(rng, practices[i % len(practices)]) for i in range(clinicians))
    people = tuple(patient(rng) for _ in range(patients))
    return Roster(seed, people, staff, practices)


DATE_STYLES = ("us", "us_short", "iso", "long", "day_month", "dotted", "us_dash")


def format_date(value: dt.date, style: str) -> str:
    """A date the way some office prints it."""
    if style == "us":
        return value.strftime("%m/%d/%Y")
    if style == "us_short":
        return f"{value.month}/{value.day}/{value:%y}"
    if style == "iso":
        return value.isoformat()
    if style == "long":
        return f"{value:%B} {value.day}, {value.year}"
    if style == "day_month":
        return f"{value.day} {value:%b} {value.year}"
    if style == "dotted":
        return value.strftime("%d.%m.%Y")
    if style == "us_dash":
        return value.strftime("%m-%d-%Y")
    raise ValueError(f"unknown date style {style!r}")
