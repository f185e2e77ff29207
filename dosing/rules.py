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

Messages (refusals, warnings) are dosing.text.Text: each is the English sentence as a str, what
is stored and compared, and pages say it in the reader's language (dosing.wording). The regimen
check is in regimen.py and products in products.py; rules re-exports both.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
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
from dosing.regimen import (  # noqa: F401 - re-exported: rules is where callers look
    MAX_TYPED_DOSE_MG,
    PLAUSIBLE_WEIGHT_KG,
    RegimenCheck,
    check_regimen,
)
from dosing.text import Text as _
from dosing.text import ngettext

COURSE_DAYS_LIMIT = 140  # R8: 20 weeks
COURSE_WEEKS_LIMIT = 20
DEFAULT_TARGET_MG_PER_KG = Decimal(120)  # R7
TARGET_RANGE_MG_PER_KG = (Decimal(120), Decimal(150))


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


# A certification's status as it reads after "its certification is" (registry's statuses).
CERTIFICATION_STATES = {
    "pending": _("pending"),
    "certified": _("certified"),
    "suspended": _("suspended"),
    "revoked": _("revoked"),
}
# A course's status as it reads after "The course is" (TreatmentCourse.Status, lower case).
COURSE_STATES = {
    "planned": _("planned"),
    "completed": _("completed"),
    "stopped_early": _("stopped early (nodules down 70%)"),
    "stopped_20_weeks": _("stopped at 20 weeks"),
    "discontinued": _("discontinued"),
}


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
            return _("missing: the pharmacy is not certified")
        if self.certification_status == "certified" and self.valid_from and self.valid_until:
            return _(
                "valid only from %(start)s to %(end)s", start=self.valid_from, end=self.valid_until
            )
        return CERTIFICATION_STATES.get(
            self.certification_status, self.certification_status.replace("_", " ")
        )

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
    return value.strftime("%-d %b %Y")  # as dosing.text writes a date into an English sentence


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
            _("A positive pregnancy test on %(day)s: stop and refer (R18).", day=positives[-1])
        ], None
    if not negatives:
        return [_("No negative pregnancy test is recorded (R14).")], None
    latest = negatives[-1]
    age = (on - latest).days
    if age >= PREGNANCY_TEST_WINDOW_DAYS:
        return [
            ngettext(
                "The last negative pregnancy test was %(age)s day ago (%(day)s); the specimen "
                "must be from the last 7 days (R14).",
                "The last negative pregnancy test was %(age)s days ago (%(day)s); the specimen "
                "must be from the last 7 days (R14).",
                age,
                age=age,
                day=latest,
            )
        ], None
    if first_prescription:
        cutoff = latest - datetime.timedelta(days=FIRST_TESTS_MIN_GAP_DAYS)
        if not any(day <= cutoff for day in negatives):
            return [
                _(
                    "Before the first prescription of a course, two negative pregnancy tests "
                    "at least 19 days apart are needed; the earlier one must be on or before "
                    "%(day)s (R14).",
                    day=cutoff,
                )
            ], latest
    return [], latest


def confirmation_reasons(confirmations: Iterable[datetime.date], on: datetime.date) -> list[str]:
    since = on - datetime.timedelta(days=CONFIRMATION_VALID_DAYS - 1)
    if any(since <= day <= on for day in confirmations):
        return []
    return [
        _(
            "The patient has not completed this month's confirmation of two forms of "
            "contraception and the comprehension questions (R16); they do it in the patient "
            "portal."
        )
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
    return _(
        "%(daily)s mg/day is %(per_kg)s mg/kg/day for the latest weight, %(weight)s kg: above "
        "the ceiling of %(ceiling)s mg/kg/day (%(ceiling_mg)s mg/day) (R2, R6).",
        daily=number(daily),
        per_kg=mg_per_kg_text(daily / weight),
        weight=number(weight),
        ceiling=number(product.ceiling_daily_mg_per_kg),
        ceiling_mg=number(ceiling),
    )


def decide(snap: Snapshot) -> Decision:
    """Allow or refuse the supply on `snap.on`, with every reason at once (rule numbers in
    brackets) and the warnings a prescriber weighs. Pure: the caller builds the snapshot."""
    refusals: list[str] = []
    warnings: list[str] = []
    supply, course, on = snap.supply, snap.course, snap.on
    dispensing = snap.action == Action.DISPENSE

    if snap.pharmacy is not None and not snap.pharmacy.may_dispense_on(on):
        refusals.append(
            _(
                "%(pharmacy)s may not dispense isotretinoin on %(day)s: its certification is "
                "%(state)s (R17).",
                pharmacy=snap.pharmacy.name,
                day=on,
                state=snap.pharmacy.state,
            )
        )
    if snap.patient_withdrawn:
        refusals.append(
            _("The patient is withdrawn from the registry: nothing may be dispensed (R12).")
            if dispensing
            else _("The patient is withdrawn from the registry: nothing may be prescribed (R12).")
        )
    if course.status != "active":
        state = COURSE_STATES.get(course.status, course.status_label.lower())
        refusals.append(_("The course is %(state)s, not active.", state=state))
    if supply.voided_on is not None:
        refusals.append(
            _(
                "This prescription was voided on %(day)s: %(reason)s",
                day=supply.voided_on,
                reason=supply.void_reason,
            )
            if supply.void_reason
            else _(
                "This prescription was voided on %(day)s: it may not be dispensed",
                day=supply.voided_on,
            )
        )
    if dispensing and supply.dispensed_on is not None:
        refusals.append(
            _("Already dispensed on %(day)s here.", day=supply.dispensed_on)
            if supply.dispensed_here
            else _("Already dispensed on %(day)s by another pharmacy.", day=supply.dispensed_on)
        )
    if not 1 <= supply.days <= MAX_DAYS_SUPPLY:
        refusals.append(
            ngettext(
                "%(days)s day's supply: at most 30 days per prescription, no refills (R13).",
                "%(days)s days' supply: at most 30 days per prescription, no refills (R13).",
                supply.days,
                days=supply.days,
            )
        )

    # R8: nothing runs past the 20-week limit.
    first_day = on if dispensing else supply.written_on
    last_day = first_day + datetime.timedelta(days=max(supply.days, 1) - 1)
    if on > course.limit:
        refusals.append(
            _(
                "The 20-week limit was %(day)s: nothing may be dispensed after it (R8).",
                day=course.limit,
            )
            if dispensing
            else _(
                "The 20-week limit was %(day)s: nothing may be prescribed after it (R8).",
                day=course.limit,
            )
        )
    elif last_day > course.limit:
        room = (course.limit - first_day).days + 1
        refusals.append(
            ngettext(
                "%(days)s days from %(first)s would run past the 20-week limit on %(limit)s "
                "(R8); at most %(room)s day fits.",
                "%(days)s days from %(first)s would run past the 20-week limit on %(limit)s "
                "(R8); at most %(room)s days fit.",
                room,
                days=supply.days,
                first=first_day,
                limit=course.limit,
                room=room,
            )
        )

    # R14 / R15: the pick-up window.
    if dispensing and supply.window_opens and supply.window_closes:
        if on < supply.window_opens:
            refusals.append(_("The pick-up window opens on %(day)s.", day=supply.window_opens))
        elif on > supply.window_closes:
            length = (supply.window_closes - supply.window_opens).days + 1
            day_number = (on - supply.window_opens).days + 1
            refusals.append(
                ngettext(
                    "Day %(number)s of a %(length)s-day pick-up window: it closed on %(day)s. "
                    "A new prescription is needed (R14, R15).",
                    "Day %(number)s of a %(length)s-day pick-up window: it closed on %(day)s. "
                    "A new prescription is needed (R14, R15).",
                    length,
                    number=day_number,
                    length=length,
                    day=supply.window_closes,
                )
            )

    # R14, R16, R18: the risk category and the records on file today.
    relied_on = None
    if snap.can_get_pregnant:
        if dispensing and not supply.written_can_get_pregnant:
            refusals.append(
                _(
                    'The risk category is now "can get pregnant"; this prescription was written '
                    "without a pregnancy test. A new prescription is needed after a negative "
                    "test and the monthly confirmation (R14, R16)."
                )
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
            figures = {
                "dispensed": live.dispensed_on,
                "left": left,
                "last": live.last_day,
                "earliest": earliest,
                "overlap": ALLOWED_OVERLAP_DAYS,
            }
            refusals.append(
                ngettext(
                    "The supply dispensed on %(dispensed)s still covers %(left)s day (to "
                    "%(last)s). A new supply may be dispensed from %(earliest)s, when at most "
                    "%(overlap)s days are left, or the current supply replaced with a reason "
                    "(R13).",
                    "The supply dispensed on %(dispensed)s still covers %(left)s days (to "
                    "%(last)s). A new supply may be dispensed from %(earliest)s, when at most "
                    "%(overlap)s days are left, or the current supply replaced with a reason "
                    "(R13).",
                    left,
                    **figures,
                )
                if dispensing
                else ngettext(
                    "The supply dispensed on %(dispensed)s still covers %(left)s day (to "
                    "%(last)s). A new supply may be written from %(earliest)s, when at most "
                    "%(overlap)s days are left, or the current supply replaced with a reason "
                    "(R13).",
                    "The supply dispensed on %(dispensed)s still covers %(left)s days (to "
                    "%(last)s). A new supply may be written from %(earliest)s, when at most "
                    "%(overlap)s days are left, or the current supply replaced with a reason "
                    "(R13).",
                    left,
                    **figures,
                )
            )
    if not dispensing and snap.open_prescriptions:
        warnings.append(
            _("This replaces the prescription not yet dispensed; it will be voided (R13).")
        )

    # R2, R6: the dose against the latest weight.
    ceiling = dose_above_ceiling(supply.daily_mg, snap.latest_weight_kg, course.formulation)
    if ceiling:
        refusals.append(ceiling)
    elif dispensing and snap.latest_weight_kg != supply.written_weight_kg:
        warnings.append(
            _(
                "Written for %(written)s kg; the latest weight is %(latest)s kg (R6).",
                written=number(supply.written_weight_kg),
                latest=number(snap.latest_weight_kg),
            )
        )

    # R7: the cumulative dose after this supply.
    weight = _as_decimal(snap.latest_weight_kg)
    if weight > 0:
        after = sum((s.total_mg for s in snap.live_supplies), Decimal(0))
        after += supply.daily_mg * max(supply.days, 0)
        per_kg = after / weight
        if per_kg > CUMULATIVE_CEILING_MG_PER_KG:
            refusals.append(
                _(
                    "After this supply the course total would be %(total)s mg/kg, beyond "
                    "%(ceiling)s mg/kg (R7). Shorten the supply or end the course.",
                    total=mg_per_kg_text(per_kg),
                    ceiling=number(CUMULATIVE_CEILING_MG_PER_KG),
                )
            )
        elif per_kg > _as_decimal(course.target_mg_per_kg):
            warnings.append(
                _(
                    "After this supply the course total is %(total)s mg/kg, past the course's "
                    "target of %(target)s mg/kg (R7).",
                    total=mg_per_kg_text(per_kg),
                    target=number(_as_decimal(course.target_mg_per_kg)),
                )
            )
    return Decision(tuple(refusals), tuple(warnings), relied_on, ceiling)
