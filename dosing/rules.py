"""Dose rules for isotretinoin: pure Python, no Django (DESIGN.md).

Rules from ../shared/PRODUCT.md: R1 usual 0.5 to 1.0 mg/kg/day in two divided doses; R2 never
above 2 mg/kg/day; R3 whole capsules of each product's strengths, Absorica LD (0.4 to 0.8 mg/kg/day,
ceiling 1.6) never substituted mg for mg; R4 once daily is not recommended; R5 the label's weight
table; R7 cumulative target 120 to 150 mg/kg; R8 at most 20 weeks.

Numbers and rounding
- Every quantity is a `Decimal`, computed exactly from its inputs (mg and kg as given); no float
  ever enters a check, so 141 mg at 70 kg is refused because 141 > 140, not because a rounded
  2.01 looked larger than 2.
- Checks compare exact values. Only messages round, and they round mg/kg figures to two
  decimals *upwards* (ROUND_CEILING): a dose just over a limit can never read as equal to it
  ("2.01 mg/kg/day", not "2.00"). Whole-label values (140 mg, 2 mg/kg/day) print without
  trailing zeros.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from dosing.baseline_labs import (  # noqa: F401 - re-exported: rules is where callers look
    BASELINE_LABS_WITHIN_DAYS,
    BaselineLabs,
    baseline_lab_reasons,
)
from dosing.products import (  # noqa: F401 - re-exported: rules is where callers look
    LABEL_TABLE_MG_PER_KG,
    LABEL_TABLE_WEIGHTS_KG,
    MAX_CAPSULES_PER_DOSE,
    PRODUCTS,
    CandidateDose,
    DoseRange,
    Formulation,
    Product,
    _as_decimal,
    capsule_combinations,
    describe_capsules,
    dose_range,
    label_daily_doses,
    makeable_doses,
    mg_per_kg_text,
    nearest_makeable_doses,
    number,
)

COURSE_DAYS_LIMIT = 140  # R8: 20 weeks
COURSE_WEEKS_LIMIT = 20
DEFAULT_TARGET_MG_PER_KG = Decimal(120)  # R7
TARGET_RANGE_MG_PER_KG = (Decimal(120), Decimal(150))
PLAUSIBLE_WEIGHT_KG = (Decimal(25), Decimal(250))


# Checking a regimen ------------------------------------------------------------------------


@dataclass
class RegimenCheck:
    mg_per_dose: Decimal
    doses_per_day: int
    weight_kg: Decimal
    formulation: Formulation
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    combinations: tuple[tuple[int, ...], ...] = ()
    above_ceiling: bool = False  # one of the refusals is the R2 ceiling

    @property
    def accepted(self) -> bool:
        return not self.refusals

    @property
    def daily_mg(self) -> Decimal:
        return self.mg_per_dose * self.doses_per_day

    @property
    def daily_mg_per_kg(self) -> Decimal:
        return self.daily_mg / self.weight_kg

    @property
    def capsules(self) -> str:
        return describe_capsules(self.combinations[0]) if self.combinations else ""

    @property
    def summary(self) -> str:
        return (
            f"{number(self.daily_mg)} mg/day is {mg_per_kg_text(self.daily_mg_per_kg)} "
            f"mg/kg/day for {number(self.weight_kg)} kg"
        )


MAX_TYPED_DOSE_MG = 1000  # 2 mg/kg/day at 250 kg is 500 mg a dose; anything above is a typo


def check_regimen(mg_per_dose, doses_per_day, weight_kg, formulation) -> RegimenCheck:
    """Refusals (never prescribable) and warnings (prescriber's judgement) for a regimen."""
    formulation = Formulation(formulation)
    product = PRODUCTS[formulation]
    mg = _as_decimal(mg_per_dose)
    weight = _as_decimal(weight_kg)
    per_day = int(doses_per_day)
    check = RegimenCheck(mg, per_day, weight, formulation)

    low_kg, high_kg = PLAUSIBLE_WEIGHT_KG
    if not weight.is_finite() or not low_kg <= weight <= high_kg:
        check.refusals.append(
            f"{number(weight)} kg is outside {number(low_kg)} to {number(high_kg)} kg; check "
            "the recorded weight."
        )
        return check
    if not mg.is_finite():
        check.refusals.append("The dose must be a number of mg.")
        return check
    if mg <= 0:
        check.refusals.append("The dose must be more than 0 mg.")
        return check
    if mg > MAX_TYPED_DOSE_MG:
        # Far above any capsule combination; stop before arithmetic on absurd values
        # (1e309 mg once made to_integral_value() raise instead of refusing).
        check.refusals.append(
            f"{number(mg)} mg per dose is far above any dose (at most {MAX_TYPED_DOSE_MG} mg "
            "is checked); check the number."
        )
        return check
    if per_day not in (1, 2):
        check.refusals.append(
            f"{per_day} doses a day: isotretinoin is given as two divided doses (R1)."
        )
        return check

    ceiling = weight * product.ceiling_daily_mg_per_kg
    if check.daily_mg > ceiling:
        check.above_ceiling = True
        check.refusals.append(
            f"{check.summary}; the ceiling is {number(product.ceiling_daily_mg_per_kg)} "
            f"mg/kg/day ({number(ceiling)} mg/day) (R2)."
        )

    if mg != mg.to_integral_value() or not capsule_combinations(formulation, int(mg)):
        below, above = nearest_makeable_doses(formulation, mg)
        strengths = ", ".join(str(s) for s in product.strengths_mg)
        nearest = " or ".join(f"{d} mg" for d in (below, above) if d is not None)
        check.refusals.append(
            f"{number(mg)} mg per dose cannot be made from whole {product.label} capsules "
            f"({strengths} mg, up to {MAX_CAPSULES_PER_DOSE} per dose); nearest: {nearest} (R3)."
        )
    else:
        check.combinations = capsule_combinations(formulation, int(mg))

    usual_low, usual_high = product.usual_daily_mg_per_kg
    if not check.refusals and not usual_low <= check.daily_mg_per_kg <= usual_high:
        side = "below" if check.daily_mg_per_kg < usual_low else "above"
        check.warnings.append(
            f"{check.summary}, {side} the usual {number(usual_low)} to {number(usual_high)} "
            "mg/kg/day (R1)."
        )
    if per_day == 1:
        check.warnings.append(
            "Once-daily dosing is not recommended; the label gives two divided doses (R4)."
        )
    return check


# Cumulative dose and the course calendar ---------------------------------------------------


@dataclass(frozen=True)
class Supply:
    """What one dispense supplied: the daily dose for a number of days."""

    daily_mg: Decimal
    days: int

    @property
    def total_mg(self) -> Decimal:
        return self.daily_mg * self.days


def cumulative_mg(supplies: Iterable[Supply]) -> Decimal:
    return sum((s.total_mg for s in supplies), Decimal(0))


def cumulative_mg_per_kg(supplies: Iterable[Supply], weight_kg) -> Decimal:
    """Counted against the latest weight (R6), as clinicians track it."""
    return cumulative_mg(supplies) / _as_decimal(weight_kg)


def target_mg(target_mg_per_kg, weight_kg) -> Decimal:
    return _as_decimal(target_mg_per_kg) * _as_decimal(weight_kg)


def projected_target_date(
    *, as_of: datetime.date, taken_mg, daily_mg, target_mg_per_kg, weight_kg
) -> datetime.date | None:
    """The day the course reaches its cumulative target at the current daily dose.

    None when there is no daily dose yet. Counting whole days: the target is reached on the
    last day whose dose brings the total to it.
    """
    daily = _as_decimal(daily_mg)
    if daily <= 0:
        return None
    remaining = target_mg(target_mg_per_kg, weight_kg) - _as_decimal(taken_mg)
    if remaining <= 0:
        return as_of
    days = math.ceil(remaining / daily)
    return as_of + datetime.timedelta(days=days - 1)


def week_of_course(start: datetime.date, day: datetime.date) -> int:
    """Week 1 is days 1 to 7 of the course."""
    return (day - start).days // 7 + 1


def weeks_left(start: datetime.date, day: datetime.date) -> int:
    return max(0, COURSE_WEEKS_LIMIT - (day - start).days // 7)


def twenty_week_limit(start: datetime.date) -> datetime.date:
    """The last day of a 140-day course (R8)."""
    return start + datetime.timedelta(days=COURSE_DAYS_LIMIT - 1)


# The one decision: may this prescription be written, or dispensed, today? ------------------
#
# Every page and service that asks "may this supply go to the patient" asks `decide` with a
# plain snapshot of what holds on the day (issue 13): the prescribing page's live check and
# its POST, the dispensing page, the dispensing POST, the course page and the patient portal.
# A rule that held when a prescription was written is checked again at the counter.

PREGNANCY_TEST_WINDOW_DAYS = 7  # R14: the pick-up window, day 1 the specimen date
FIRST_TESTS_MIN_GAP_DAYS = 19  # R14: two negative tests before a course's first prescription
CONFIRMATION_VALID_DAYS = 30  # R16: the patient's monthly confirmation
NON_PREGNANCY_WINDOW_DAYS = 30  # R15: from the office visit
MAX_DAYS_SUPPLY = 30  # R13
# R13, one supply at a time: a new supply may be dispensed while the last one still covers at
# most this many days (counting the dispensing day). A week lets a patient collect at the
# monthly visit, which falls every 28 days, inside a 7-day pick-up window, without a gap in
# treatment; more would let supplies pile up (docs/CLINICAL_RULES.md).
ALLOWED_OVERLAP_DAYS = 7
CUMULATIVE_CEILING_MG_PER_KG = TARGET_RANGE_MG_PER_KG[1]  # R7: refused beyond 150 mg/kg


class Action(StrEnum):
    PRESCRIBE = "prescribe"
    DISPENSE = "dispense"


@dataclass(frozen=True)
class TestOnFile:
    specimen_date: datetime.date
    positive: bool


@dataclass(frozen=True)
class CourseOnFile:
    status: str  # TreatmentCourse.Status values
    status_label: str
    start: datetime.date
    formulation: Formulation | str
    target_mg_per_kg: Decimal = DEFAULT_TARGET_MG_PER_KG
    end: datetime.date | None = None
    has_earlier_prescriptions: bool = True

    @property
    def limit(self) -> datetime.date:
        return twenty_week_limit(self.start)


@dataclass(frozen=True)
class SupplyAsked:
    """The prescription being written or dispensed, as it was written."""

    mg_per_dose: Decimal
    doses_per_day: int
    days: int
    written_on: datetime.date
    written_can_get_pregnant: bool
    written_weight_kg: Decimal
    window_opens: datetime.date | None = None
    window_closes: datetime.date | None = None
    voided_on: datetime.date | None = None
    void_reason: str = ""
    dispensed_on: datetime.date | None = None  # its own live dispense, if any
    dispensed_here: bool = False  # ... by the asking pharmacy

    @property
    def daily_mg(self) -> Decimal:
        return _as_decimal(self.mg_per_dose) * self.doses_per_day


@dataclass(frozen=True)
class LiveSupply:
    """A live (not reversed) dispense of the course, other than the one asked about."""

    dispensed_on: datetime.date
    days: int  # days the patient takes from it (fewer when replaced mid-month)
    daily_mg: Decimal

    @property
    def last_day(self) -> datetime.date:
        return self.dispensed_on + datetime.timedelta(days=self.days - 1)

    def days_left(self, day: datetime.date) -> int:
        """Days it still covers from `day` on, `day` included."""
        return max(0, min(self.days, (self.last_day - day).days + 1))

    @property
    def total_mg(self) -> Decimal:
        return self.daily_mg * self.days


@dataclass(frozen=True)
class PharmacyOnFile:
    name: str
    certification_status: str | None  # None: no certification record
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None

    @property
    def state(self) -> str:
        """The certification as the pharmacy itself would say it, for a refusal."""
        if self.certification_status is None:
            return "missing: the pharmacy is not certified"
        if self.certification_status == "certified" and self.valid_from and self.valid_until:
            return f"valid only from {day_text(self.valid_from)} to {day_text(self.valid_until)}"
        return self.certification_status.replace("_", " ")

    def may_dispense_on(self, day: datetime.date) -> bool:
        return (
            self.certification_status == "certified"
            and self.valid_from is not None
            and self.valid_until is not None
            and self.valid_from <= day <= self.valid_until
        )


@dataclass(frozen=True)
class Snapshot:
    action: Action
    on: datetime.date
    patient_withdrawn: bool
    can_get_pregnant: bool
    tests: tuple[TestOnFile, ...]
    confirmations: tuple[datetime.date, ...]  # days of passed monthly confirmations (R16)
    course: CourseOnFile
    supply: SupplyAsked
    live_supplies: tuple[LiveSupply, ...]
    latest_weight_kg: Decimal
    pharmacy: PharmacyOnFile | None = None  # None: asked by a page, not at a counter
    open_prescriptions: int = 0  # undispensed, not voided: the new one replaces them
    # R19 for a course's first prescription; None: no labs on file (refused).
    baseline_labs: BaselineLabs | None = None


@dataclass(frozen=True)
class Decision:
    refusals: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    relies_on_test: datetime.date | None = None  # the negative test behind the window (R14)
    ceiling_reason: str = ""  # the R2/R6 refusal among `refusals`, if any

    @property
    def allowed(self) -> bool:
        return not self.refusals


def day_text(value: datetime.date) -> str:
    return value.strftime("%-d %b %Y")


def pregnancy_reasons(
    tests: Iterable[TestOnFile], on: datetime.date, *, first_prescription: bool
) -> tuple[list[str], datetime.date | None]:
    """R14 and R18 on `on`: no positive test since the last negative one, a negative test with a
    specimen in the last 7 days, and before a course's first prescription an earlier negative
    test at least 19 days before it. Returns the reasons and the test relied on."""
    known = sorted((t for t in tests if t.specimen_date <= on), key=lambda t: t.specimen_date)
    negatives = [t.specimen_date for t in known if not t.positive]
    positives = [t.specimen_date for t in known if t.positive]
    if positives and (not negatives or positives[-1] >= negatives[-1]):
        return [
            f"A positive pregnancy test on {day_text(positives[-1])}: stop and refer (R18)."
        ], None
    if not negatives:
        return ["No negative pregnancy test is recorded (R14)."], None
    latest = negatives[-1]
    age = (on - latest).days
    if age >= PREGNANCY_TEST_WINDOW_DAYS:
        return [
            f"The last negative pregnancy test was {age} days ago ({day_text(latest)}); the "
            "specimen must be from the last 7 days (R14)."
        ], None
    if first_prescription:
        cutoff = latest - datetime.timedelta(days=FIRST_TESTS_MIN_GAP_DAYS)
        if not any(day <= cutoff for day in negatives):
            return [
                "Before the first prescription of a course, two negative pregnancy tests at "
                f"least 19 days apart are needed; the earlier one must be on or before "
                f"{day_text(cutoff)} (R14)."
            ], latest
    return [], latest


def confirmation_reasons(confirmations: Iterable[datetime.date], on: datetime.date) -> list[str]:
    since = on - datetime.timedelta(days=CONFIRMATION_VALID_DAYS - 1)
    if any(since <= day <= on for day in confirmations):
        return []
    return [
        "The patient has not completed this month's confirmation of two forms of "
        "contraception and the comprehension questions (R16); they do it in the patient portal."
    ]


def dose_above_ceiling(daily_mg, weight_kg, formulation) -> str:
    """The R2 / R6 reason when a daily dose is above the ceiling for a weight, else ''."""
    product = PRODUCTS[Formulation(formulation)]
    weight = _as_decimal(weight_kg)
    if not weight.is_finite() or weight <= 0:
        return ""  # no weight to dose by: check_regimen refuses the weight itself
    ceiling = weight * product.ceiling_daily_mg_per_kg
    daily = _as_decimal(daily_mg)
    if daily <= ceiling:
        return ""
    return (
        f"{number(daily)} mg/day is {mg_per_kg_text(daily / weight)} mg/kg/day for the latest "
        f"weight, {number(weight)} kg: above the ceiling of "
        f"{number(product.ceiling_daily_mg_per_kg)} mg/kg/day ({number(ceiling)} mg/day) "
        "(R2, R6)."
    )


def decide(snap: Snapshot) -> Decision:
    """Allow or refuse the supply on `snap.on`, with every reason at once (rule numbers in
    brackets) and the warnings a prescriber weighs. Pure: the caller builds the snapshot."""
    refusals: list[str] = []
    warnings: list[str] = []
    supply, course, on = snap.supply, snap.course, snap.on
    dispensing = snap.action == Action.DISPENSE
    verb = "dispensed" if dispensing else "prescribed"

    if snap.pharmacy is not None and not snap.pharmacy.may_dispense_on(on):
        refusals.append(
            f"{snap.pharmacy.name} may not dispense isotretinoin on {day_text(on)}: its "
            f"certification is {snap.pharmacy.state} (R17)."
        )
    if snap.patient_withdrawn:
        refusals.append(f"The patient is withdrawn from the registry: nothing may be {verb} (R12).")
    if course.status != "active":
        refusals.append(f"The course is {course.status_label.lower()}, not active.")
    if supply.voided_on is not None:
        refusals.append(
            f"This prescription was voided on {day_text(supply.voided_on)}: "
            f"{supply.void_reason or 'it may not be dispensed'}"
        )
    if dispensing and supply.dispensed_on is not None:
        where = "here" if supply.dispensed_here else "by another pharmacy"
        refusals.append(f"Already dispensed on {day_text(supply.dispensed_on)} {where}.")
    if not 1 <= supply.days <= MAX_DAYS_SUPPLY:
        refusals.append(
            f"{supply.days} days' supply: at most 30 days per prescription, no refills (R13)."
        )

    # R8: nothing runs past the 20-week limit.
    first_day = on if dispensing else supply.written_on
    last_day = first_day + datetime.timedelta(days=max(supply.days, 1) - 1)
    if on > course.limit:
        refusals.append(
            f"The 20-week limit was {day_text(course.limit)}: nothing may be {verb} after it (R8)."
        )
    elif last_day > course.limit:
        room = (course.limit - first_day).days + 1
        refusals.append(
            f"{supply.days} days from {day_text(first_day)} would run past the 20-week limit on "
            f"{day_text(course.limit)} (R8); at most {room} days fit."
        )

    # R14 / R15: the pick-up window.
    if dispensing and supply.window_opens and supply.window_closes:
        if on < supply.window_opens:
            refusals.append(f"The pick-up window opens on {day_text(supply.window_opens)}.")
        elif on > supply.window_closes:
            length = (supply.window_closes - supply.window_opens).days + 1
            day_number = (on - supply.window_opens).days + 1
            refusals.append(
                f"Day {day_number} of a {length}-day pick-up window: it closed on "
                f"{day_text(supply.window_closes)}. A new prescription is needed (R14, R15)."
            )

    # R14, R16, R18: the risk category and the records on file today.
    relied_on = None
    if snap.can_get_pregnant:
        if dispensing and not supply.written_can_get_pregnant:
            refusals.append(
                'The risk category is now "can get pregnant"; this prescription was written '
                "without a pregnancy test. A new prescription is needed after a negative test "
                "and the monthly confirmation (R14, R16)."
            )
        reasons, relied_on = pregnancy_reasons(
            snap.tests,
            on,
            first_prescription=not dispensing and not course.has_earlier_prescriptions,
        )
        refusals.extend(reasons)
        refusals.extend(confirmation_reasons(snap.confirmations, on))

    # R19: baseline lipids and liver tests before a course's first prescription. Not asked
    # again at dispensing: what was drawn cannot be undrawn, and the reason given instead is
    # kept on the prescription.
    if not dispensing and not course.has_earlier_prescriptions:
        reasons, notes = baseline_lab_reasons(snap.baseline_labs, supply.written_on)
        refusals.extend(reasons)
        warnings.extend(notes)

    # R13: one supply at a time.
    for live in snap.live_supplies:
        left = live.days_left(first_day)
        if left > ALLOWED_OVERLAP_DAYS:
            earliest = live.last_day - datetime.timedelta(days=ALLOWED_OVERLAP_DAYS - 1)
            action = "dispensed" if dispensing else "written"
            refusals.append(
                f"The supply dispensed on {day_text(live.dispensed_on)} still covers {left} days "
                f"(to {day_text(live.last_day)}). A new supply may be {action} from "
                f"{day_text(earliest)}, when at most {ALLOWED_OVERLAP_DAYS} days are left, or "
                "the current supply replaced with a reason (R13)."
            )
    if not dispensing and snap.open_prescriptions:
        warnings.append(
            "This replaces the prescription not yet dispensed; it will be voided (R13)."
        )

    # R2, R6: the dose against the latest weight.
    ceiling = dose_above_ceiling(supply.daily_mg, snap.latest_weight_kg, course.formulation)
    if ceiling:
        refusals.append(ceiling)
    elif dispensing and snap.latest_weight_kg != supply.written_weight_kg:
        warnings.append(
            f"Written for {number(supply.written_weight_kg)} kg; the latest weight is "
            f"{number(snap.latest_weight_kg)} kg (R6)."
        )

    # R7: the cumulative dose after this supply.
    weight = _as_decimal(snap.latest_weight_kg)
    if weight > 0:
        after = sum((s.total_mg for s in snap.live_supplies), Decimal(0))
        after += supply.daily_mg * max(supply.days, 0)
        per_kg = after / weight
        if per_kg > CUMULATIVE_CEILING_MG_PER_KG:
            refusals.append(
                f"After this supply the course total would be {mg_per_kg_text(per_kg)} mg/kg, "
                f"beyond {number(CUMULATIVE_CEILING_MG_PER_KG)} mg/kg (R7). Shorten the supply "
                "or end the course."
            )
        elif per_kg > _as_decimal(course.target_mg_per_kg):
            warnings.append(
                f"After this supply the course total is {mg_per_kg_text(per_kg)} mg/kg, past "
                f"the course's target of {number(_as_decimal(course.target_mg_per_kg))} mg/kg "
                "(R7)."
            )
    return Decision(tuple(refusals), tuple(warnings), relied_on, ceiling)
