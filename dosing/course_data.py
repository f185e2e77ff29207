"""A course's figures and schedule from its rows: cumulative dose, projection, schedule.

Shared by the staff course page and (later) the patient portal and calendar feed. Fetches the
prescriptions and dispenses in two queries whatever their number.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from dosing import rules, schedule
from dosing.models import Dispense, Prescription, TreatmentCourse


@dataclass(frozen=True)
class SupplyInHand:
    open_prescription: Prescription | None
    covering_supply: Dispense | None
    covering_days: int


@dataclass(frozen=True)
class AfterSupply:
    after_mg: Decimal
    after_mg_per_kg: Decimal
    projected_end: datetime.date | None
    beyond_limit: bool


@dataclass
class CourseFigures:
    course: TreatmentCourse
    weight_kg: Decimal
    today: datetime.date
    prescriptions: list[Prescription]
    taken_mg: Decimal
    daily_mg: Decimal
    target_date: datetime.date | None
    entries: list[schedule.Entry]
    supplied_until: datetime.date  # the last day covered by dispensed supply

    @property
    def taken_mg_per_kg(self) -> Decimal:
        return self.taken_mg / self.weight_kg

    @property
    def target_mg(self) -> Decimal:
        return self.course.target_mg(self.weight_kg)

    @property
    def percent_of_target(self) -> int:
        """The real share of the target, beyond 100 when the course went past it (R7)."""
        if not self.target_mg:
            return 0
        return int(self.taken_mg * 100 / self.target_mg)

    @property
    def bar_percent(self) -> int:
        """The bar's width: full at the target; the text says how far beyond."""
        return min(100, self.percent_of_target)

    @property
    def target_reached(self) -> bool:
        return self.taken_mg >= self.target_mg > 0

    @property
    def ceiling_reason(self) -> str:
        """R2, R6: the dose in force is above the ceiling for the latest weight ('' if not)."""
        if not self.course.is_active or not self.daily_mg:
            return ""
        return rules.dose_above_ceiling(self.daily_mg, self.weight_kg, self.course.formulation)

    @property
    def week_number(self) -> int:
        return min(self.course.week_number(self.today), rules.COURSE_WEEKS_LIMIT)

    @property
    def weeks_left(self) -> int:
        return self.course.weeks_left(self.today)

    def supply_in_hand(self) -> SupplyInHand:
        """The prescription waiting to be dispensed (not voided), and a dispensed supply that
        still covers more than the allowed overlap (R13: one supply at a time)."""
        open_prescription, covering, covering_days = None, None, 0
        for rx in self.prescriptions:
            live = rx.live_dispense()
            if rx.voided_at is None and live is None:
                open_prescription = rx
            elif live is not None:
                left = live.as_supply().days_left(self.today)
                if left > rules.ALLOWED_OVERLAP_DAYS:
                    covering, covering_days = live, left
        return SupplyInHand(open_prescription, covering, covering_days)

    def after_supply(self, *, daily_mg: Decimal, days: int) -> AfterSupply:
        """The cumulative dose once a supply of `days` at `daily_mg` is taken, and when the
        target would then be reached: the supply follows what is already dispensed."""
        added = Decimal(daily_mg) * days
        after = self.taken_mg + added
        projected = rules.projected_target_date(
            as_of=max(self.today, self.supplied_until + datetime.timedelta(days=1)),
            taken_mg=self.taken_mg,
            daily_mg=daily_mg,
            target_mg_per_kg=self.course.target_mg_per_kg,
            weight_kg=self.weight_kg,
        )
        return AfterSupply(
            after_mg=after,
            after_mg_per_kg=after / self.weight_kg,
            projected_end=projected,
            beyond_limit=bool(projected and projected > self.course.limit_date),
        )

    def coming(self, days: int = 28) -> list[schedule.Entry]:
        return schedule.between(
            self.entries, self.today, self.today + datetime.timedelta(days=days - 1)
        )


def course_figures(
    course: TreatmentCourse, *, weight_kg, today: datetime.date | None = None
) -> CourseFigures:
    today = today or timezone.localdate()
    weight = Decimal(weight_kg)
    prescriptions = list(
        course.prescriptions.order_by("prescribed_on", "pk")
        .select_related("voided_by")
        .prefetch_related(
            Prefetch("dispenses", queryset=Dispense.objects.select_related("pharmacy"))
        )
    )
    supplies, taken, daily = [], Decimal(0), Decimal(0)
    supplied_until = today - datetime.timedelta(days=1)
    for rx in prescriptions:
        dispense = rx.live_dispense()
        if dispense is None and rx.voided_at is not None:
            continue  # voided before it was handed out: no doses, no pick-up
        starts = dispense.dispensed_on if dispense else rx.prescribed_on
        days = dispense.days_covered if dispense else rx.days_supply
        if dispense:
            taken += Decimal(rx.daily_mg * days)
            supplied_until = max(supplied_until, starts + datetime.timedelta(days=days - 1))
        supplies.append(
            schedule.PlannedSupply(
                starts=starts,
                days=days,
                mg_per_dose=rx.mg_per_dose,
                doses_per_day=rx.doses_per_day,
                capsules=rx.capsules,
                window_opens=rx.window_opens,
                window_closes=rx.window_closes,
                dispensed=dispense is not None,
            )
        )
        daily = Decimal(rx.daily_mg)
    # Dispensed supply counts as taken (R7 is tracked from supply); the projection continues
    # at the current daily dose from the day after the supply runs out.
    # No projected date once the target is reached (it would be a day in the past).
    target_date = (
        rules.projected_target_date(
            as_of=max(today, supplied_until + datetime.timedelta(days=1)),
            taken_mg=taken,
            daily_mg=daily,
            target_mg_per_kg=course.target_mg_per_kg,
            weight_kg=weight,
        )
        if course.is_active and taken < course.target_mg(weight)
        else None
    )
    entries = schedule.build_schedule(
        start=course.start_date,
        end=course.end_date,
        supplies=supplies,
        needs_pregnancy_tests=course.patient.can_get_pregnant,
        target_date=target_date,
    )
    figures = CourseFigures(
        course, weight, today, prescriptions, taken, daily, target_date, entries, supplied_until
    )
    if figures.ceiling_reason:
        # R2, R6: the dose in force is above the ceiling for the latest weight. No page lists
        # it from today on (the portal says to call the clinic; staff pages say why).
        figures.entries = [e for e in entries if e.kind != schedule.Kind.DOSE or e.date < today]
    return figures
