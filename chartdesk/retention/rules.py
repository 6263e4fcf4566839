"""Rule arithmetic: from a document's facts and its retention rule to the first
day it may be disposed of. Pure functions, no database.

A period of N years from day D ends on D's anniversary N years later: that is
the first day the document may go. A period that starts on 29 February ends on
1 March of a common year (28 February would be a day short of N full years).
The age of majority is reached on the birthday, with the same rule for 29 February.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass

from chartdesk.config import RetentionAction, RetentionRule, RetentionTrigger


class Basis:
    """What a disposition date was counted from (stored in retention_schedule.basis)."""

    document_date = "document_date"
    received_date = "received_date"  # the document has no date of its own
    last_encounter = "last_encounter"
    majority = "majority"
    minor = "minor"  # the minors' rule gave the later date
    review = "review"  # a person decided to keep it until a day
    permanent = "permanent"
    no_class = "no_class"  # not classified yet (or its class is no longer configured)


class Action:
    destroy = "destroy"
    review = "review"
    keep = "keep"  # permanent
    undecided = "undecided"  # no rule applies yet


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a document's disposition is computed from."""

    doc_date: dt.date | None
    received_on: dt.date
    birth_date: dt.date | None
    last_encounter: dt.date | None
    review_decision: str | None = None  # destroy | keep (the newest review decision)
    keep_until: dt.date | None = None

    @property
    def own_date(self) -> dt.date:
        return self.doc_date or self.received_on


@dataclass(frozen=True, slots=True)
class Disposition:
    rule: str | None
    action: str
    basis: str
    basis_date: dt.date | None
    date: dt.date | None  # the first day the document may be disposed of; None: never / not yet known


def add_years(day: dt.date, years: int) -> dt.date:
    """The anniversary `years` after `day`; 29 February moves to 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return dt.date(day.year + years, 3, 1)


def majority_day(birth_date: dt.date, age_of_majority: int) -> dt.date:
    return add_years(birth_date, age_of_majority)


def was_minor(facts: Facts, age_of_majority: int) -> bool:
    """True when the document dates from before the patient reached the age of majority."""
    return facts.birth_date is not None and facts.own_date < majority_day(facts.birth_date, age_of_majority)


def compute(rule_name: str | None, rule: RetentionRule | None, facts: Facts, *, age_of_majority: int) -> Disposition:
    """The disposition of one document under its rule."""
    if rule is None or rule_name is None:
        return Disposition(None, Action.undecided, Basis.no_class, None, None)
    if rule.permanent:
        return Disposition(rule_name, Action.keep, Basis.permanent, None, None)
    basis, start = _start(rule.trigger, facts, age_of_majority)
    date = add_years(start, rule.years)
    if rule.minor_years is not None and was_minor(facts, age_of_majority):
        assert facts.birth_date is not None
        minor_start = majority_day(facts.birth_date, age_of_majority)
        minor_date = add_years(minor_start, rule.minor_years)
        if minor_date > date:
            basis, start, date = Basis.minor, minor_start, minor_date
    action = str(rule.action)
    if rule.action is RetentionAction.review and facts.review_decision is not None:
        if facts.review_decision == "destroy":
            action = Action.destroy
        elif facts.keep_until is not None and facts.keep_until > date:
            basis, start, date = Basis.review, facts.keep_until, facts.keep_until
    return Disposition(rule_name, action, basis, start, date)


def _start(trigger: RetentionTrigger, facts: Facts, age_of_majority: int) -> tuple[str, dt.date]:
    own_basis = Basis.document_date if facts.doc_date else Basis.received_date
    own = facts.own_date
    if trigger is RetentionTrigger.last_encounter and facts.last_encounter and facts.last_encounter > own:
        return Basis.last_encounter, facts.last_encounter
    if trigger is RetentionTrigger.majority and facts.birth_date:
        majority = majority_day(facts.birth_date, age_of_majority)
        if majority > own:
            return Basis.majority, majority
    return own_basis, own


def inputs_hash(rule_name: str | None, rule: RetentionRule | None, facts: Facts, age_of_majority: int) -> str:
    """A hash of everything a disposition is computed from: the schedule row is
    rewritten when it changes (class, patient, dates, encounters, review, rules)."""
    parts = (rule_name or "", _rule_json(rule) if rule else "", str(age_of_majority), _iso(facts.doc_date),
             _iso(facts.received_on), _iso(facts.birth_date), _iso(facts.last_encounter), facts.review_decision or "",
             _iso(facts.keep_until))
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()


@functools.lru_cache(maxsize=256)
def _rule_json(rule: RetentionRule) -> str:
    return json.dumps(rule.model_dump(mode="json"), sort_keys=True)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
