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
        if not self.target_mg:
            return 0
        return min(100, int(self.taken_mg * 100 / self.target_mg))

    @property
    def week_number(self) -> int:
        return min(self.course.week_number(self.today), rules.COURSE_WEEKS_LIMIT)

    @property
    def weeks_left(self) -> int:
        return self.course.weeks_left(self.today)

    def coming(self, days: int = 28) -> list[schedule.Entry]:
        return schedule.between(
            self.entries, self.today, self.today + datetime.timedelta(days=days - 1)
        )


def live_dispense(prescription: Prescription) -> Dispense | None:
    return next((d for d in prescription.dispenses.all() if d.reversed_at is None), None)


def course_figures(
    course: TreatmentCourse, *, weight_kg, today: datetime.date | None = None
) -> CourseFigures:
    today = today or timezone.localdate()
    weight = Decimal(weight_kg)
    prescriptions = list(
        course.prescriptions.order_by("prescribed_on", "pk").prefetch_related(
            Prefetch("dispenses", queryset=Dispense.objects.select_related("pharmacy"))
        )
    )
    supplies, taken, daily = [], Decimal(0), Decimal(0)
    supplied_until = today - datetime.timedelta(days=1)
    for rx in prescriptions:
        dispense = live_dispense(rx)
        starts = timezone.localdate(dispense.authorized_at) if dispense else rx.prescribed_on
        if dispense:
            taken += Decimal(rx.daily_mg * dispense.days_supply)
            supplied_until = max(
                supplied_until, starts + datetime.timedelta(days=dispense.days_supply - 1)
            )
        supplies.append(
            schedule.PlannedSupply(
                starts=starts,
                days=rx.days_supply,
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
    target_date = (
        rules.projected_target_date(
            as_of=supplied_until + datetime.timedelta(days=1),
            taken_mg=taken,
            daily_mg=daily,
            target_mg_per_kg=course.target_mg_per_kg,
            weight_kg=weight,
        )
        if course.is_active
        else None
    )
    entries = schedule.build_schedule(
        start=course.start_date,
        end=course.end_date,
        supplies=supplies,
        needs_pregnancy_tests=course.patient.can_get_pregnant,
        target_date=target_date,
    )
    return CourseFigures(
        course, weight, today, prescriptions, taken, daily, target_date, entries, supplied_until
    )
