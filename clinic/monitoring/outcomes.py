"""Counting the clinic's outcomes ahead of the report (issue 17, point 3).

Every course that started (not a planned one) is counted under its start month and its
patient's prescriber: its status, why a discontinued course stopped, the day of its first visit
with more than 70% fewer nodules (R9), its cumulative mg/kg when it ended (R7), the side effects
reported at any of its visits, and how long its flags waited to be acknowledged. Six grouped
queries, the counting done by the database (PostgreSQL and SQLite alike); the rows they give
replace OutcomeCount's in one transaction, so the report never sees half a build.

A distribution is counted per whole value (days, mg/kg, hours), so its median and percentiles
are exact at that grain when the report adds the months up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Floor, Greatest, Least, TruncDate, TruncMonth
from django.utils import timezone

from clinic.monitoring.models import CourseFlag, OutcomeBuild, OutcomeCount, Visit
from clinic.monitoring.models.visits import SideEffect
from clinic.monitoring.thresholds import NODULE_FALL_PERCENT
from dosing.models import Dispense, TreatmentCourse
from dosing.services import R18_REASON, WITHDRAWAL_REASON_PREFIX

Status = TreatmentCourse.Status

# Why a discontinued course stopped, from the reason the services write.
POSITIVE_TEST, WITHDRAWAL, OTHER = "positive_test", "withdrawal", "other"
SIDE_EFFECTS = [code for code in SideEffect.values if code != SideEffect.OTHER]


class DaysBetween(Func):
    """Whole days from the second date to the first."""

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        # date - date is an integer number of days.
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


class HoursBetween(Func):
    """Whole hours from the second moment to the first."""

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600)::integer",
            arg_joiner=" - ",
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST((julianday(%(expressions)s)) * 24 AS INTEGER)",
            arg_joiner=") - julianday(",
        )


def started_courses():
    return TreatmentCourse.objects.exclude(status=Status.PLANNED)


def _keys(prefix: str = "") -> dict:
    """The group of a row: the course's start month and its patient's prescriber."""
    return {
        "month": TruncMonth(f"{prefix}start_date"),
        "prescriber": F(f"{prefix}patient__prescriber_id"),
    }


def _first_fall():
    """The date of the course's first visit with the nodule count down more than 70% (R9, in
    whole numbers as the flag's SQL: 100 x count < 30 x baseline)."""
    fell = (
        Visit.objects.filter(course=OuterRef("pk"))
        .annotate(scaled=F("nodule_count") * 100)
        .filter(scaled__lt=OuterRef("baseline_nodule_count") * (100 - NODULE_FALL_PERCENT))
        .order_by("visit_date")
        .values("visit_date")[:1]
    )
    return Subquery(fell)


def _dispensed_mg():
    """The mg a course's dispenses supplied (R7 is tracked from supply): each live dispense's
    daily dose for the days it covers, shortened when it was ended (Dispense.days_covered)."""
    dispensed_on = TruncDate("authorized_at", tzinfo=timezone.get_default_timezone())
    days = Case(
        When(ended_on=None, then=F("days_supply")),
        default=Greatest(
            Value(0), Least(F("days_supply"), DaysBetween(F("ended_on"), dispensed_on))
        ),
        output_field=IntegerField(),
    )
    daily = F("prescription__mg_per_dose") * F("prescription__doses_per_day")
    supplied = (
        Dispense.objects.live()
        .filter(prescription__course=OuterRef("pk"))
        .values("prescription__course")
        .annotate(mg=Sum(daily * days))
        .values("mg")
    )
    return Coalesce(Subquery(supplied, output_field=IntegerField()), Value(0))


def _why_discontinued():
    return Case(
        When(end_reason=R18_REASON, then=Value(POSITIVE_TEST)),
        When(end_reason__startswith=WITHDRAWAL_REASON_PREFIX, then=Value(WITHDRAWAL)),
        default=Value(OTHER),
    )


def count_rows() -> Iterable[tuple]:
    """(month, prescriber id, measure, value, count) for every bar of every distribution."""
    courses = started_courses()
    for row in courses.values(**_keys(), value=F("status")).annotate(n=Count("pk")):
        yield row["month"], row["prescriber"], f"status:{row['value']}", 0, row["n"]
    why = courses.filter(status=Status.DISCONTINUED).annotate(why=_why_discontinued())
    for row in why.values(**_keys(), value=F("why")).annotate(n=Count("pk")):
        yield row["month"], row["prescriber"], f"discontinued:{row['value']}", 0, row["n"]
    fell = courses.annotate(fell_on=_first_fall()).exclude(fell_on=None)
    fell = fell.values(**_keys(), value=DaysBetween(F("fell_on"), F("start_date")))
    for row in fell.annotate(n=Count("pk")):
        yield row["month"], row["prescriber"], "fell_days", row["value"], row["n"]
    weight = Cast(Coalesce("last_weight_kg", "baseline_weight_kg"), FloatField())
    ended = courses.filter(status__in=TreatmentCourse.ENDED).annotate(mg=_dispensed_mg())
    ended = ended.values(
        **_keys(), value=Cast(Floor(Cast("mg", FloatField()) / weight), IntegerField())
    )
    for row in ended.annotate(n=Count("pk")):
        yield row["month"], row["prescriber"], "mg_per_kg_end", row["value"], row["n"]
    effects = (
        Visit.objects.filter(course__isnull=False)
        .exclude(course__status=Status.PLANNED)
        .values(**_keys("course__"))
        .annotate(
            **{
                code: Count("course", distinct=True, filter=Q(side_effects__icontains=f'"{code}"'))
                for code in SIDE_EFFECTS
            }
        )
    )
    for row in effects:
        for code in SIDE_EFFECTS:
            if row[code]:
                yield row["month"], row["prescriber"], f"side_effect:{code}", 0, row[code]
    flags = CourseFlag.objects.exclude(course__status=Status.PLANNED)
    acknowledged = flags.exclude(acknowledged_at=None).values(
        **_keys("course__"),
        kind_=F("kind"),
        value=HoursBetween(F("acknowledged_at"), F("raised_at")),
    )
    for row in acknowledged.annotate(n=Count("pk")):
        yield (
            row["month"],
            row["prescriber"],
            f"flag_ack_hours:{row['kind_']}",
            row["value"],
            row["n"],
        )
    still_open = flags.filter(acknowledged_at=None).values(**_keys("course__"), kind_=F("kind"))
    for row in still_open.annotate(n=Count("pk")):
        yield row["month"], row["prescriber"], f"flag_open:{row['kind_']}", 0, row["n"]


def build_outcome_counts() -> OutcomeBuild:
    """Count every course again and replace the report's rows (nightly, and on demand)."""
    began = time.perf_counter()
    rows = [
        OutcomeCount(month=month, prescriber_id=prescriber, measure=measure, value=value, count=n)
        for month, prescriber, measure, value, n in count_rows()
    ]
    courses = started_courses().count()
    with transaction.atomic():
        OutcomeCount.objects.all().delete()
        OutcomeCount.objects.bulk_create(rows, batch_size=1000)
        return OutcomeBuild.objects.create(
            courses=courses, rows=len(rows), seconds=time.perf_counter() - began
        )
