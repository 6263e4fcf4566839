"""The held-out evaluation set: its own roster, templates, wording, name and date styles.

Written apart from the seed corpus (chartdesk/classify/seed) and from tests/gen:
it imports neither, and the training code cannot import it (a test proves both).
Each document carries its truth: class, the patient meant (or none) and the hard
case it exercises.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from random import Random

from bench.heldout import templates as T

CASES = ("plain", "twin", "shared_surname", "same_name_other_dob", "same_name_same_dob", "hyphenated", "apostrophe",
         "nickname", "accented", "several_patients", "dependant_card", "clinician_is_patient", "no_patient", "not_in_index")


@dataclass(frozen=True)
class RosterPatient:
    key: str
    mrn: str
    family: str
    given: str
    middle: str
    dob: dt.date
    phone: str
    member_id: str
    case: str = "plain"
    nickname: str = ""


@dataclass(frozen=True)
class HeldoutDoc:
    text_pages: tuple[str, ...]
    label: str
    patient: str | None  # roster key, or None when the document must not be attached
    case: str
    unambiguous: bool  # names exactly one index patient with two identifiers that single them out
    source: str = "scan"


_FAMILIES = ("Albescu Brightwater Castellanos Duquesne Eberhardt Fontaine Gallagher Halvorsen Ishikawa Jablonski Kowalczyk "
             "Lindgren Marchand Nakashima Oyelaran Pacheco Quiroga Rasmussen Szabo Takahashi Urquhart Valdivia Whitlock "
             "Yilmaz Zamora Abernethy Bergstrom Cardenas Delgado Esposito Fairweather Gonsalves Hargreaves Iwasaki").split()
_GIVENS = ("Amelia Benedict Cordelia Desmond Eleanor Florian Genevieve Horace Imogen Jasper Kiran Leontyne Marisol Nathaniel "
           "Octavia Percival Quentin Rosalind Sebastian Theodora Ulysses Vivienne Wendell Xiomara Yusuf Zinnia Beatrix Cyrus").split()
_NICK = (("William", "Bill"), ("Elizabeth", "Liz"), ("Robert", "Bob"), ("Margaret", "Peggy"), ("Richard", "Dick"), ("Katherine", "Kate"))


def roster(seed: int = 11) -> list[RosterPatient]:
    r = Random(seed)
    out: list[RosterPatient] = []

    def add(family: str, given: str, dob: dt.date, case: str = "plain", nickname: str = "") -> None:
        n = len(out)
        out.append(RosterPatient(f"p{n}", str(300000 + n * 7), family, given, r.choice("ABCDEFGHJKLMNPRSTW"), dob,
                                 f"{r.randint(201, 989)}{r.randint(200, 999)}{r.randint(0, 9999):04d}",
                                 f"H{r.randint(10**8, 10**9 - 1)}", case, nickname))

    def day() -> dt.date:
        return dt.date.fromordinal(r.randint(dt.date(1935, 1, 1).toordinal(), dt.date(2015, 12, 31).toordinal()))

    for i in range(90):
        add(r.choice(_FAMILIES) + ("" if i < 34 else f"{'sonvk'[i % 5]}{'aeiou'[i % 4]}"), r.choice(_GIVENS), day())
    for _ in range(6):  # twins
        fam, d = r.choice(_FAMILIES) + "ton", day()
        a, b = r.sample(_GIVENS, 2)
        add(fam, a, d, "twin")
        add(fam, b, d, "twin")
    for _ in range(5):  # same name, other birth date
        fam, giv = r.choice(_FAMILIES) + "ley", r.choice(_GIVENS)
        add(fam, giv, day(), "same_name_other_dob")
        add(fam, giv, day(), "same_name_other_dob")
    for _ in range(3):  # same name and birth date, different people
        fam, giv, d = r.choice(_FAMILIES) + "man", r.choice(_GIVENS), day()
        add(fam, giv, d, "same_name_same_dob")
        add(fam, giv, d, "same_name_same_dob")
    for _ in range(8):
        add(f"{r.choice(_FAMILIES)}-{r.choice(_FAMILIES)}", r.choice(_GIVENS), day(), "hyphenated")
        add(r.choice(("O'", "D'", "Mc")) + r.choice(_FAMILIES).lower().capitalize(), r.choice(_GIVENS), day(), "apostrophe")
    for full, nick in _NICK:
        add(r.choice(_FAMILIES) + "er", full, day(), "nickname", nick)
    for fam, giv in (("Muñoz", "José"), ("Lefèvre", "Hélène"), ("Günther", "Jürgen"), ("Núñez", "Inés")):
        add(fam, giv, day(), "accented")
    return out


def documents(patients: list[RosterPatient], n: int = 420, seed: int = 23) -> list[HeldoutDoc]:
    r = Random(seed)
    g = T.Writer(r)
    by_case: dict[str, list[RosterPatient]] = {}
    for p in patients:
        by_case.setdefault(p.case, []).append(p)
    classes = list(T.BUILDERS)
    docs: list[HeldoutDoc] = []
    for i in range(n):
        label = classes[i % len(classes)]
        case = _pick_case(r, i)
        docs.append(_one(g, r, label, case, patients, by_case))
    return docs


_NAMES_TWO = ("lab_result", "referral_letter", "explanation_of_benefits", "progress_note")


def _pick_case(r: Random, i: int) -> str:
    if i % 3:
        return "plain"
    return r.choice(CASES[1:])


def _one(g: T.Writer, r: Random, label: str, case: str, patients: list[RosterPatient],
         by_case: dict[str, list[RosterPatient]]) -> HeldoutDoc:
    build = T.BUILDERS[label]
    if case == "no_patient" and label not in ("fax_cover_sheet", "other"):
        case = "plain"
    if case == "several_patients" and label not in _NAMES_TWO:
        case = "plain"
    if label in ("fax_cover_sheet", "other"):
        return HeldoutDoc((build(g, None, {}),), label, None, "no_patient", False)  # noqa: FBT003 - a positional record
    if case == "not_in_index":
        stranger = T.Person("Vanterpool", "Ignatius", "Q", dt.date(1944, 2, 29), "999999", "5550000000", "Z000000000")
        return HeldoutDoc((build(g, stranger, {}),), label, None, case, False)  # noqa: FBT003 - a positional record
    pool = by_case.get(case) or by_case["plain"]
    target = r.choice(pool) if case not in ("several_patients", "dependant_card", "clinician_is_patient") else r.choice(by_case["plain"])
    person = T.Person(target.family, target.nickname or target.given, target.middle, target.dob, target.mrn, target.phone, target.member_id)
    extra: dict[str, object] = {}
    truth: str | None = target.key
    unambiguous = case != "same_name_same_dob"
    if case == "same_name_same_dob":
        unambiguous = False  # attaching to the right one (told apart by MRN or member id) is fine; to the other is a wrong chart
    if case == "several_patients":
        other = r.choice([p for p in by_case["plain"] if p.key != target.key])
        extra["also"] = T.Person(other.family, other.given, other.middle, other.dob, other.mrn, other.phone, other.member_id)
        truth, unambiguous = None, False
    if case == "clinician_is_patient":
        doc = r.choice([p for p in by_case["plain"] if p.key != target.key])
        extra["clinician"] = f"{doc.given} {doc.family}"
    if case == "dependant_card":
        label = "insurance_card"
        sub = r.choice([p for p in by_case["plain"] if p.key != target.key])
        extra["subscriber"] = T.Person(target.family, sub.given, sub.middle, sub.dob, sub.mrn, sub.phone, target.member_id)
    text = T.BUILDERS[label](g, person, extra)
    return HeldoutDoc((text,), label, truth, case, unambiguous and truth is not None and case != "same_name_same_dob")
