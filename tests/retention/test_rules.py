"""Rule arithmetic: periods in years from a trigger, leap days, minors, last
encounters, permanent records and review decisions (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from chartdesk.config import RetentionAction, RetentionRule, RetentionTrigger
from chartdesk.retention import Action, Basis, Facts, add_years, compute, majority_day
from chartdesk.retention.rules import inputs_hash

D = dt.date
CLINICAL = RetentionRule(trigger=RetentionTrigger.last_encounter, years=10, minor_years=3)
FINANCIAL = RetentionRule(years=7)
LEGAL = RetentionRule(years=6, action=RetentionAction.review)
AT_MAJORITY = RetentionRule(trigger=RetentionTrigger.majority, years=2)
MAJORITY = 18


DOC_DAY = D(2012, 1, 10)
RECEIVED = D(2012, 1, 12)


def facts(doc: dt.date | None = DOC_DAY, *, received: dt.date = RECEIVED, born: dt.date | None = None,
          last: dt.date | None = None, decision: str | None = None, keep_until: dt.date | None = None) -> Facts:
    return Facts(doc_date=doc, received_on=received, birth_date=born, last_encounter=last, review_decision=decision,
                 keep_until=keep_until)


@pytest.mark.parametrize(("start", "years", "expected"), [
    (D(2016, 2, 29), 1, D(2017, 3, 1)),  # a full year from a leap day ends on 1 March
    (D(2016, 2, 29), 4, D(2020, 2, 29)),  # and on 29 February again in a leap year
    (D(2016, 2, 28), 1, D(2017, 2, 28)),
    (D(2015, 3, 1), 1, D(2016, 3, 1)),
    (D(2019, 12, 31), 7, D(2026, 12, 31)),
    (D(2019, 5, 5), 0, D(2019, 5, 5)),
])
def test_years_are_anniversaries_and_a_leap_day_moves_to_the_first_of_march(start: dt.date, years: int,
                                                                             expected: dt.date) -> None:
    assert add_years(start, years) == expected


def test_a_leap_day_birth_reaches_majority_on_the_first_of_march() -> None:
    assert majority_day(D(2008, 2, 29), 18) == D(2026, 3, 1)
    assert majority_day(D(2004, 2, 29), 20) == D(2024, 2, 29)


def test_document_date_counts_and_the_received_day_stands_in_for_a_missing_one() -> None:
    with_date = compute("financial", FINANCIAL, facts(), age_of_majority=MAJORITY)
    assert (with_date.action, with_date.basis, with_date.basis_date, with_date.date) == (
        Action.destroy, Basis.document_date, D(2012, 1, 10), D(2019, 1, 10))
    without = compute("financial", FINANCIAL, facts(None), age_of_majority=MAJORITY)
    assert (without.basis, without.date) == (Basis.received_date, D(2019, 1, 12))


def test_the_last_encounter_counts_when_it_is_later_than_the_document() -> None:
    adult = D(1960, 5, 1)
    later = compute("clinical", CLINICAL, facts(born=adult, last=D(2020, 6, 30)), age_of_majority=MAJORITY)
    assert (later.basis, later.date) == (Basis.last_encounter, D(2030, 6, 30))
    earlier = compute("clinical", CLINICAL, facts(born=adult, last=D(2005, 1, 1)), age_of_majority=MAJORITY)
    assert (earlier.basis, earlier.date) == (Basis.document_date, D(2022, 1, 10))
    none = compute("clinical", CLINICAL, facts(born=adult, last=None), age_of_majority=MAJORITY)
    assert none.date == D(2022, 1, 10)


def test_a_new_encounter_moves_the_date_forward() -> None:
    before = compute("clinical", CLINICAL, facts(born=D(1970, 1, 1), last=D(2013, 1, 1)), age_of_majority=MAJORITY)
    after = compute("clinical", CLINICAL, facts(born=D(1970, 1, 1), last=D(2018, 4, 2)), age_of_majority=MAJORITY)
    assert (before.date, after.date) == (D(2023, 1, 1), D(2028, 4, 2))


def test_a_minors_record_is_kept_until_majority_plus_its_years_when_that_is_later() -> None:
    child = D(2010, 6, 15)  # 18 on 2028-06-15; 21 on 2031-06-15
    kept = compute("clinical", CLINICAL, facts(born=child, last=D(2012, 1, 10)), age_of_majority=MAJORITY)
    assert (kept.basis, kept.basis_date, kept.date) == (Basis.minor, D(2028, 6, 15), D(2031, 6, 15))
    # a late encounter as an adult can still be the later date
    late = compute("clinical", CLINICAL, facts(born=child, last=D(2029, 1, 1)), age_of_majority=MAJORITY)
    assert (late.basis, late.date) == (Basis.last_encounter, D(2039, 1, 1))


def test_a_record_from_after_majority_is_an_adults_record() -> None:
    born = D(1990, 6, 15)
    adult = compute("clinical", CLINICAL, facts(D(2012, 1, 10), born=born, last=D(2012, 1, 10)),
                    age_of_majority=MAJORITY)
    assert (adult.basis, adult.date) == (Basis.document_date, D(2022, 1, 10))


def test_a_minor_born_on_a_leap_day() -> None:
    born = D(2008, 2, 29)  # majority 2026-03-01 (18 full years), + 3 years: 2029-03-01
    kept = compute("clinical", CLINICAL, facts(D(2010, 1, 1), born=born, last=D(2010, 1, 1)), age_of_majority=MAJORITY)
    assert kept.date == D(2029, 3, 1)
    assert compute("clinical", CLINICAL, facts(D(2010, 1, 1), born=born, last=D(2010, 1, 1)),
                   age_of_majority=21).date == D(2032, 3, 1)


def test_the_majority_trigger_counts_from_majority_or_the_document_whichever_is_later() -> None:
    child = compute("minor", AT_MAJORITY, facts(D(2012, 1, 10), born=D(2005, 7, 4)), age_of_majority=MAJORITY)
    assert (child.basis, child.date) == (Basis.majority, D(2025, 7, 4))
    adult = compute("minor", AT_MAJORITY, facts(D(2012, 1, 10), born=D(1980, 7, 4)), age_of_majority=MAJORITY)
    assert (adult.basis, adult.date) == (Basis.document_date, D(2014, 1, 10))
    unknown = compute("minor", AT_MAJORITY, facts(D(2012, 1, 10), born=None), age_of_majority=MAJORITY)
    assert unknown.date == D(2014, 1, 10)


def test_permanent_records_and_documents_without_a_class_have_no_date() -> None:
    kept = compute("registers", RetentionRule(permanent=True, years=1), facts(), age_of_majority=MAJORITY)
    assert (kept.action, kept.basis, kept.date) == (Action.keep, Basis.permanent, None)
    nothing = compute(None, None, facts(), age_of_majority=MAJORITY)
    assert (nothing.action, nothing.basis, nothing.date) == (Action.undecided, Basis.no_class, None)


def test_review_decisions_destroy_or_keep_until_a_later_day() -> None:
    due = compute("legal", LEGAL, facts(), age_of_majority=MAJORITY)
    assert (due.action, due.date) == (Action.review, D(2018, 1, 10))
    destroy = compute("legal", LEGAL, facts(decision="destroy"), age_of_majority=MAJORITY)
    assert (destroy.action, destroy.date) == (Action.destroy, D(2018, 1, 10))
    keep = compute("legal", LEGAL, facts(decision="keep", keep_until=D(2030, 1, 1)), age_of_majority=MAJORITY)
    assert (keep.action, keep.basis, keep.date) == (Action.review, Basis.review, D(2030, 1, 1))
    # a review decision means nothing under a rule that ends in destroy
    assert compute("financial", FINANCIAL, facts(decision="keep", keep_until=D(2030, 1, 1)),
                   age_of_majority=MAJORITY).date == D(2019, 1, 10)


def test_the_inputs_hash_changes_with_every_input() -> None:
    base = facts(born=D(1970, 1, 1), last=D(2013, 1, 1))
    reference = inputs_hash("clinical", CLINICAL, base, MAJORITY)
    variants = [
        inputs_hash("financial", CLINICAL, base, MAJORITY),
        inputs_hash("clinical", RetentionRule(trigger=RetentionTrigger.last_encounter, years=11, minor_years=3), base,
                    MAJORITY),
        inputs_hash("clinical", CLINICAL, base, 21),
        inputs_hash("clinical", CLINICAL, facts(D(2012, 1, 11), born=D(1970, 1, 1), last=D(2013, 1, 1)), MAJORITY),
        inputs_hash("clinical", CLINICAL, facts(born=D(1970, 1, 2), last=D(2013, 1, 1)), MAJORITY),
        inputs_hash("clinical", CLINICAL, facts(born=D(1970, 1, 1), last=D(2013, 1, 2)), MAJORITY),
        inputs_hash("clinical", CLINICAL, facts(born=D(1970, 1, 1), last=D(2013, 1, 1), decision="destroy"), MAJORITY),
    ]
    assert reference not in variants and len(set(variants)) == len(variants)
    assert inputs_hash("clinical", CLINICAL, base, MAJORITY) == reference
