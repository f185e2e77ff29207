"""The one decision (dosing.rules.decide): a table of snapshot cases, each naming the rule it
tests and its boundary on both sides, and hypothesis properties over random snapshots."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosing import rules
from dosing.rules import (
    Action,
    BaselineLabs,
    CourseOnFile,
    LiveSupply,
    PharmacyOnFile,
    Snapshot,
    SupplyAsked,
    TestOnFile,
    decide,
)

DAY = datetime.date(2026, 6, 1)
START = DAY - datetime.timedelta(days=60)  # week 9 of the course
LIMIT = rules.twenty_week_limit(START)


def d(offset: int) -> datetime.date:
    return DAY + datetime.timedelta(days=offset)


CERTIFIED = PharmacyOnFile("Riverside", "certified", d(-100), d(100))
COURSE = CourseOnFile("active", "Active", START, "conventional")
# 30 mg twice a day at 70 kg: 0.86 mg/kg/day, 30 days, written today for a patient who cannot
# get pregnant (window 30 days from the visit).
SUPPLY = SupplyAsked(
    mg_per_dose=Decimal(30),
    doses_per_day=2,
    days=30,
    written_on=DAY,
    written_can_get_pregnant=False,
    written_weight_kg=Decimal(70),
    window_opens=DAY,
    window_closes=d(29),
)
BASE = Snapshot(
    action=Action.DISPENSE,
    on=DAY,
    patient_withdrawn=False,
    can_get_pregnant=False,
    tests=(),
    confirmations=(),
    course=COURSE,
    supply=SUPPLY,
    live_supplies=(),
    latest_weight_kg=Decimal(70),
    pharmacy=CERTIFIED,
    baseline_labs=BaselineLabs(lipids_on=d(-3), liver_tests_on=d(-3)),
)
# A course's first prescription, written today by a page (no pharmacy).
FIRST = replace(
    BASE,
    action=Action.PRESCRIBE,
    pharmacy=None,
    course=replace(COURSE, has_earlier_prescriptions=False),
)
# Can get pregnant, written under that category: negative tests 25 and 2 days ago, confirmed.
PREGNANT_OK = replace(
    BASE,
    can_get_pregnant=True,
    tests=(TestOnFile(d(-25), False), TestOnFile(d(-2), False)),
    confirmations=(d(-1),),
    supply=replace(SUPPLY, written_can_get_pregnant=True, window_opens=d(-2), window_closes=d(4)),
)


def supply(**changes):
    return replace(SUPPLY, **changes)


def live(dispensed_offset: int, days: int = 30, daily: int = 60) -> LiveSupply:
    return LiveSupply(d(dispensed_offset), days, Decimal(daily))


# (id naming the rule, snapshot, allowed, a text every refusal list must contain or "")
CASES = [
    ("R19 first prescription: lipids and liver tests 3 days old allowed", FIRST, True, ""),
    (
        "R19 first prescription: labs drawn 29 days before allowed",
        replace(FIRST, baseline_labs=BaselineLabs(d(-29), d(-29))),
        True,
        "",
    ),
    (
        "R19 first prescription: labs drawn 30 days before refused",
        replace(FIRST, baseline_labs=BaselineLabs(d(-30), d(-3))),
        False,
        "fasting lipids (triglycerides and total cholesterol) drawn since 3 May 2026 (R19)",
    ),
    (
        "R19 first prescription: no liver tests refused",
        replace(FIRST, baseline_labs=BaselineLabs(lipids_on=d(-3))),
        False,
        "baseline liver tests (ALT and AST)",
    ),
    (
        "R19 first prescription: nothing on file refused",
        replace(FIRST, baseline_labs=None),
        False,
        "and liver tests",
    ),
    (
        "R19 first prescription: labs dated after the prescription do not count",
        replace(FIRST, baseline_labs=BaselineLabs(d(1), d(1))),
        False,
        "(R19)",
    ),
    (
        "R19 first prescription: a reason instead of the labs allowed",
        replace(
            FIRST, baseline_labs=BaselineLabs(not_needed_because="Drawn at the GP 2 weeks ago")
        ),
        True,
        "",
    ),
    (
        "R19 not asked for a later prescription",
        replace(FIRST, course=COURSE, baseline_labs=None),
        True,
        "",
    ),
    (
        "R19 not asked again at dispensing",
        replace(BASE, course=replace(COURSE, has_earlier_prescriptions=False), baseline_labs=None),
        True,
        "",
    ),
    ("baseline: everything in order is dispensed", BASE, True, ""),
    ("R12 withdrawn patient refused", replace(BASE, patient_withdrawn=True), False, "(R12)"),
    (
        "R12 withdrawn patient: nothing prescribed either",
        replace(BASE, action=Action.PRESCRIBE, patient_withdrawn=True, pharmacy=None),
        False,
        "nothing may be prescribed",
    ),
    (
        "course discontinued refused",
        replace(BASE, course=replace(COURSE, status="discontinued", status_label="Discontinued")),
        False,
        "The course is discontinued",
    ),
    (
        "course planned refused",
        replace(BASE, course=replace(COURSE, status="planned", status_label="Planned")),
        False,
        "not active",
    ),
    (
        "R13 voided prescription refused",
        replace(BASE, supply=supply(voided_on=d(-1), void_reason="Replaced.")),
        False,
        "was voided on",
    ),
    (
        "R13 already dispensed elsewhere: no other pharmacy named",
        replace(BASE, supply=supply(dispensed_on=d(-1))),
        False,
        "by another pharmacy",
    ),
    (
        "R13 31 days' supply refused",
        replace(BASE, supply=supply(days=31)),
        False,
        "at most 30 days",
    ),
    ("R13 30 days' supply allowed", replace(BASE, supply=supply(days=30)), True, ""),
    (
        "R13 a live supply covering 8 more days refuses a dispense",
        replace(BASE, live_supplies=(live(-22),)),
        False,
        "still covers 8 days",
    ),
    (
        "R13 a live supply covering 7 more days allows a dispense",
        replace(BASE, live_supplies=(live(-23),)),
        True,
        "",
    ),
    (
        "R13 a second 30-day prescription the day after a dispense is refused",
        replace(BASE, action=Action.PRESCRIBE, pharmacy=None, live_supplies=(live(-1),)),
        False,
        "(R13)",
    ),
    (
        "R8 dispense on the limit day with a supply that fits is allowed",
        replace(
            BASE,
            on=LIMIT,
            supply=supply(days=1, window_opens=LIMIT, window_closes=LIMIT),
        ),
        True,
        "",
    ),
    (
        "R8 dispense the day after the limit is refused",
        replace(
            BASE,
            on=LIMIT + datetime.timedelta(days=1),
            supply=supply(days=1, window_opens=LIMIT, window_closes=LIMIT + datetime.timedelta(1)),
        ),
        False,
        "(R8)",
    ),
    (
        "R8 a supply running one day past the limit is refused",
        replace(
            BASE,
            on=LIMIT - datetime.timedelta(days=9),
            supply=supply(days=11, window_opens=d(-60), window_closes=LIMIT),
        ),
        False,
        "at most 10 days fit",
    ),
    (
        "R8 a supply ending on the limit day is allowed",
        replace(
            BASE,
            on=LIMIT - datetime.timedelta(days=9),
            supply=supply(days=10, window_opens=d(-60), window_closes=LIMIT),
        ),
        True,
        "",
    ),
    (
        "R15 day 30 of a 30-day window allowed",
        replace(BASE, on=d(29), supply=supply(days=10)),
        True,
        "",
    ),
    (
        "R15 day 31 of a 30-day window refused",
        replace(BASE, on=d(30), supply=supply(days=10)),
        False,
        "Day 31 of a 30-day pick-up window",
    ),
    (
        "window not yet open refused",
        replace(BASE, supply=supply(window_opens=d(1), window_closes=d(30))),
        False,
        "opens on",
    ),
    ("R14 can get pregnant, all on file: allowed", PREGNANT_OK, True, ""),
    (
        "R14 day 7 of the test window allowed",
        replace(PREGNANT_OK, on=d(4)),
        True,
        "",
    ),
    (
        "R14 day 8 after the specimen refused",
        replace(PREGNANT_OK, on=d(5)),
        False,
        "(R14)",
    ),
    (
        "R14 category changed to can get pregnant after writing: refused",
        replace(BASE, can_get_pregnant=True, tests=PREGNANT_OK.tests, confirmations=(d(-1),)),
        False,
        "risk category is now",
    ),
    (
        "R14 category changed to cannot get pregnant: the stricter prescription still stands",
        replace(PREGNANT_OK, can_get_pregnant=False),
        True,
        "",
    ),
    (
        "R18 a positive test after the negative one refused",
        replace(PREGNANT_OK, tests=PREGNANT_OK.tests + (TestOnFile(d(-1), True),)),
        False,
        "(R18)",
    ),
    (
        "R18 a positive test before a later negative one does not refuse",
        replace(
            PREGNANT_OK,
            tests=(TestOnFile(d(-25), False), TestOnFile(d(-5), True), TestOnFile(d(-2), False)),
        ),
        True,
        "",
    ),
    (
        "R16 confirmation 29 days old allowed",
        replace(PREGNANT_OK, confirmations=(d(-29),)),
        True,
        "",
    ),
    (
        "R16 confirmation 30 days old refused",
        replace(PREGNANT_OK, confirmations=(d(-30),)),
        False,
        "(R16)",
    ),
    (
        "R14 first prescription: tests 19 days apart allowed",
        replace(
            PREGNANT_OK,
            action=Action.PRESCRIBE,
            pharmacy=None,
            tests=(TestOnFile(d(-21), False), TestOnFile(d(-2), False)),
            course=replace(COURSE, has_earlier_prescriptions=False),
        ),
        True,
        "",
    ),
    (
        "R14 first prescription: tests 18 days apart refused",
        replace(
            PREGNANT_OK,
            action=Action.PRESCRIBE,
            pharmacy=None,
            tests=(TestOnFile(d(-20), False), TestOnFile(d(-2), False)),
            course=replace(COURSE, has_earlier_prescriptions=False),
        ),
        False,
        "19 days apart",
    ),
    (
        "R2 R6 140 mg/day at a latest weight of 70 kg allowed",
        replace(BASE, supply=supply(mg_per_dose=Decimal(70), days=10)),
        True,
        "",
    ),
    (
        "R2 R6 a weight loss to 69 kg puts 140 mg/day above the ceiling: refused",
        replace(
            BASE, supply=supply(mg_per_dose=Decimal(70), days=10), latest_weight_kg=Decimal(69)
        ),
        False,
        "(R2, R6)",
    ),
    (
        "R6 a changed weight under the ceiling is a warning only",
        replace(BASE, latest_weight_kg=Decimal(65)),
        True,
        "",
    ),
    (
        "R7 exactly 150 mg/kg after the supply allowed (with the target warning)",
        replace(BASE, live_supplies=(live(-100, days=1, daily=8700),)),
        True,
        "",
    ),
    (
        "R7 beyond 150 mg/kg after the supply refused",
        replace(BASE, live_supplies=(live(-100, days=1, daily=8701),)),
        False,
        "beyond 150 mg/kg (R7)",
    ),
    (
        "R17 pharmacy certified on the day allowed",
        replace(BASE, pharmacy=replace(CERTIFIED, valid_until=DAY)),
        True,
        "",
    ),
    (
        "R17 certification expired yesterday refused",
        replace(BASE, pharmacy=replace(CERTIFIED, valid_until=d(-1))),
        False,
        "(R17)",
    ),
    (
        "R17 suspended pharmacy refused",
        replace(BASE, pharmacy=replace(CERTIFIED, certification_status="suspended")),
        False,
        "certification is suspended (R17)",
    ),
    (
        "R17 a page asking without a pharmacy skips the pharmacy check",
        replace(BASE, pharmacy=None),
        True,
        "",
    ),
]


@pytest.mark.parametrize(
    ("snapshot", "allowed", "text"),
    [pytest.param(snap, ok, text, id=name) for name, snap, ok, text in CASES],
)
def test_the_decision_table(snapshot, allowed, text):
    decision = decide(snapshot)
    assert decision.allowed is allowed, decision.refusals
    if text:
        assert any(text in reason for reason in decision.refusals), decision.refusals


def test_the_table_has_at_least_30_cases_naming_their_rule():
    assert len(CASES) >= 30
    assert len({name for name, *_ in CASES}) == len(CASES)


def test_every_reason_comes_at_once():
    snap = replace(
        BASE,
        patient_withdrawn=True,
        pharmacy=replace(CERTIFIED, certification_status="revoked"),
        supply=supply(voided_on=d(-1), days=31),
    )
    reasons = decide(snap).refusals
    assert len(reasons) >= 4, reasons


def test_a_reason_given_instead_of_the_baseline_labs_is_kept_as_a_warning():
    labs = BaselineLabs(lipids_on=d(-3), not_needed_because="  Drawn at the GP\n2 weeks ago ")
    decision = decide(replace(FIRST, baseline_labs=labs))
    assert decision.allowed
    assert decision.warnings == (
        "Baseline labs not on file (liver tests (ALT and AST)): Drawn at the GP 2 weeks ago (R19).",
    )


def test_the_target_is_a_warning_and_150_a_refusal():
    # 120 mg/kg target at 70 kg = 8400 mg; 7000 taken + 1800 this supply = 8800 mg, 125.7 mg/kg.
    warned = decide(replace(BASE, live_supplies=(live(-100, days=1, daily=7000),)))
    assert warned.allowed
    assert any("past the course's target of 120 mg/kg (R7)" in w for w in warned.warnings)


def test_a_replaced_supply_is_announced_when_prescribing():
    snap = replace(BASE, action=Action.PRESCRIBE, pharmacy=None, open_prescriptions=1)
    assert any("replaces the prescription" in w for w in decide(snap).warnings)


# Properties -----------------------------------------------------------------------------

offsets = st.integers(min_value=-160, max_value=40)


@st.composite
def snapshots(draw):
    can_get_pregnant = draw(st.booleans())
    written_under = draw(st.booleans())
    opens = d(draw(st.integers(min_value=-40, max_value=5)))
    window = draw(st.sampled_from([7, 30]))
    days = draw(st.integers(min_value=0, max_value=35))
    status = draw(st.sampled_from(["active", "active", "active", "planned", "discontinued"]))
    lives = tuple(
        live(
            draw(st.integers(min_value=-60, max_value=0)),
            draw(st.integers(1, 30)),
            draw(st.sampled_from([20, 40, 60, 80])),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    tests = tuple(
        TestOnFile(d(draw(st.integers(-40, 0))), draw(st.booleans()))
        for _ in range(draw(st.integers(0, 3)))
    )
    return Snapshot(
        action=Action.DISPENSE,
        on=d(draw(st.integers(min_value=-5, max_value=40))),
        patient_withdrawn=draw(st.booleans()),
        can_get_pregnant=can_get_pregnant,
        tests=tests,
        confirmations=tuple(d(draw(st.integers(-45, 0))) for _ in range(draw(st.integers(0, 2)))),
        course=replace(
            COURSE,
            status=status,
            status_label=status.capitalize(),
            start=d(draw(st.integers(min_value=-150, max_value=0))),
        ),
        supply=supply(
            mg_per_dose=Decimal(draw(st.sampled_from([10, 20, 30, 40, 70, 80]))),
            days=days,
            written_can_get_pregnant=written_under,
            window_opens=opens,
            window_closes=opens + datetime.timedelta(days=window - 1),
            voided_on=draw(st.sampled_from([None, None, d(-1)])),
        ),
        live_supplies=lives,
        latest_weight_kg=Decimal(draw(st.integers(min_value=40, max_value=110))),
        pharmacy=CERTIFIED,
    )


@settings(max_examples=400, deadline=None)
@given(snapshots())
def test_no_accepted_dispense_overlaps_a_live_supply_by_more_than_the_allowed_days(snap):
    if decide(snap).allowed:
        for other in snap.live_supplies:
            overlap = (
                min(other.last_day, snap.on + datetime.timedelta(snap.supply.days - 1)) - snap.on
            ).days + 1
            assert overlap <= rules.ALLOWED_OVERLAP_DAYS


@settings(max_examples=400, deadline=None)
@given(snapshots())
def test_no_accepted_dispense_runs_past_the_20_week_limit(snap):
    if decide(snap).allowed:
        last = snap.on + datetime.timedelta(days=snap.supply.days - 1)
        assert last <= snap.course.limit
        assert snap.on <= snap.course.limit


@settings(max_examples=400, deadline=None)
@given(snapshots())
def test_nothing_goes_to_a_withdrawn_patient_a_stopped_course_or_without_a_test(snap):
    if not decide(snap).allowed:
        return
    assert not snap.patient_withdrawn
    assert snap.course.status == "active"
    assert snap.supply.voided_on is None
    assert 1 <= snap.supply.days <= 30
    if snap.can_get_pregnant:
        assert snap.supply.written_can_get_pregnant
        negatives = [
            t.specimen_date for t in snap.tests if not t.positive and t.specimen_date <= snap.on
        ]
        assert negatives
        assert (snap.on - max(negatives)).days < rules.PREGNANCY_TEST_WINDOW_DAYS
        positives = [
            t.specimen_date for t in snap.tests if t.positive and t.specimen_date <= snap.on
        ]
        assert not positives or max(positives) < max(negatives)
        assert any(
            (snap.on - c).days < rules.CONFIRMATION_VALID_DAYS and c <= snap.on
            for c in snap.confirmations
        )


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_no_accepted_dispense_is_above_the_ceiling_for_the_latest_weight(snap):
    if decide(snap).allowed:
        assert snap.supply.daily_mg <= 2 * snap.latest_weight_kg
