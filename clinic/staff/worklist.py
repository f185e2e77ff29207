"""The staff start page's lists. Each is one query (plus one for its count badge) whatever
the number of rows; the rows come with select_related, so rendering them queries nothing.

The sections render with plain templates (templates/clinic/worklist/), not django-tables2: they
are short fixed lists with nothing to sort or page, and tables2's per-cell machinery cost about
a millisecond per row here (bench/run.py), six sections of it on every staff start page."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef

from clinic.monitoring.models import CourseFlag
from clinic.reminders.models import Reminder
from dosing.models import Dispense, Prescription, TreatmentCourse

ROW_LIMIT = 25  # per section: the most urgent first, the badge counts the rest


def open_flags():
    """Open flags, most urgent kind first, then oldest first: read in that order from the
    partial index on (urgency, raised_at), so the rows shown are the most urgent ones even
    when there are far more than the page shows."""
    return (
        CourseFlag.objects.filter(acknowledged_at=None)
        .select_related("course__patient")
        .order_by("urgency", "raised_at")
    )


def active_courses_by_follow_up():
    """Active courses with the follow-up their latest visit booked (monitoring.follow_ups)."""
    return (
        TreatmentCourse.objects.filter(status=TreatmentCourse.Status.ACTIVE)
        .exclude(next_follow_up=None)
        .select_related("patient")
        .order_by("next_follow_up", "pk")
    )


def planned_visits(today: datetime.date, days: int):
    return active_courses_by_follow_up().filter(
        next_follow_up__gte=today, next_follow_up__lt=today + datetime.timedelta(days=days)
    )


def overdue_follow_ups(today: datetime.date):
    return active_courses_by_follow_up().filter(next_follow_up__lt=today)


def closing_windows(today: datetime.date):
    live = Dispense.objects.filter(prescription=OuterRef("pk"), reversed_at=None)
    return (
        Prescription.objects.filter(
            course__status="active",
            window_closes__gte=today,
            window_closes__lte=today + datetime.timedelta(days=2),
        )
        .exclude(Exists(live))
        .select_related("course__patient")
        .order_by("window_closes")
    )


def failed_reminders():
    return (
        Reminder.objects.filter(status=Reminder.Status.FAILED)
        .select_related("patient")
        .order_by("-due_at")
    )


def bounded(queryset, limit: int = ROW_LIMIT) -> tuple[list, int]:
    """Up to `limit` rows and the total: one query, two when there are more rows than shown."""
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], queryset.count()
