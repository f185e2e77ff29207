"""The staff start page's lists. Each is one query (plus one for its count badge) whatever
the number of rows; the rows come with select_related, so rendering them queries nothing.

The sections render with plain templates (staff/worklist/), not django-tables2: they
are short fixed lists with nothing to sort or page, and tables2's per-cell machinery cost about
a millisecond per row here (bench/run.py), six sections of it on every staff start page."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinic.monitoring.models import CourseFlag
from clinic.monitoring.thresholds import MONTH_TWO_LABS_DUE_FROM_DAY
from clinic.reminders.models import Reminder
from dosing.models import Prescription, TreatmentCourse
from dosing.monthly_steps import Month, any_step_missing, with_steps

ROW_LIMIT = 10  # per section: the most urgent first, the badge counts all, "show all" pages
ALL_PAGE_SIZE = 50  # rows a page on a section's own page


def open_flags():
    """Open flags, most urgent kind first, then oldest first: read in that order from the
    partial index on (urgency, raised_at), so the rows shown are the most urgent ones even
    when there are far more than the page shows."""
    return (
        CourseFlag.objects.filter(acknowledged_at=None)
        .select_related("course__patient")
        .order_by("urgency", "raised_at", "pk")
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


def month_two_labs_due(today: datetime.date):
    """Active courses from day 57 without their month-2 lipids and liver tests (R19), oldest
    first: read from the partial index of active courses without them."""
    started_by = today - datetime.timedelta(days=MONTH_TWO_LABS_DUE_FROM_DAY - 1)
    return (
        TreatmentCourse.objects.filter(
            status=TreatmentCourse.Status.ACTIVE,
            month_two_labs_on=None,
            start_date__lte=started_by,
        )
        .select_related("patient")
        .order_by("start_date", "pk")
    )


def closing_windows(today: datetime.date):
    """Prescriptions still to be picked up (not voided, not dispensed) whose window closes
    within two days: read from the partial index on awaiting_pickup, with no join to the
    dispenses, so the section costs the same however many have been handed out."""
    return (
        Prescription.objects.filter(
            awaiting_pickup=True,
            course__status="active",
            window_closes__gte=today,
            window_closes__lte=today + datetime.timedelta(days=2),
        )
        .select_related("course__patient")
        .order_by("window_closes", "pk")
    )


def monthly_steps_missing(today: datetime.date):
    """Courses in treatment with at least one of this month's steps not done (iPLEDGE; the
    calendar month of `today`, dosing.monthly_steps), oldest course first. Which are missing a
    step is read from each step's records of the month as one set; the days shown are
    subqueries of the same query, run for the rows shown only."""
    month = Month.of(today)
    courses = TreatmentCourse.objects.filter(
        any_step_missing(month), status=TreatmentCourse.Status.ACTIVE
    )
    return with_steps(courses, month).order_by("start_date", "pk")


def failed_reminders():
    return (
        Reminder.objects.filter(status=Reminder.Status.FAILED)
        .select_related("patient")
        .order_by("-due_at", "-pk")
    )


def bounded(queryset, limit: int = ROW_LIMIT) -> tuple[list, int]:
    """Up to `limit` rows and the total: one query, two when there are more rows than shown."""
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], queryset.count()


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # lazy: shown in the reader's language
    rows: Callable[[datetime.date], QuerySet]  # the section's rows on a day, in its order
    order: tuple[str, ...]  # that order, ending in the primary key (keyset paging)
    template: str


def sections() -> list[Section]:
    """The worklist's sections, most urgent first."""
    visits = "staff/worklist/_visits.html"
    return [
        Section(
            "flags",
            _("Open flags"),
            lambda today: open_flags(),
            ("urgency", "raised_at", "pk"),
            "staff/worklist/_flags.html",
        ),
        Section(
            "today",
            _("Visits planned today"),
            lambda today: planned_visits(today, 1),
            ("next_follow_up", "pk"),
            visits,
        ),
        Section(
            "week",
            _("Visits planned this week"),
            lambda today: planned_visits(today, 7),
            ("next_follow_up", "pk"),
            visits,
        ),
        Section(
            "overdue",
            _("Overdue follow-ups"),
            overdue_follow_ups,
            ("next_follow_up", "pk"),
            visits,
        ),
        Section(
            "labs",
            _("Month-2 labs due (fasting lipids, ALT and AST; R19)"),
            month_two_labs_due,
            ("start_date", "pk"),
            "staff/worklist/_labs.html",
        ),
        Section(
            "windows",
            _("Pick-up windows closing within 2 days"),
            closing_windows,
            ("window_closes", "pk"),
            "staff/worklist/_windows.html",
        ),
        Section(
            "monthly",
            _("Monthly steps missing (iPLEDGE, this month)"),
            monthly_steps_missing,
            ("start_date", "pk"),
            "staff/worklist/_monthly.html",
        ),
        Section(
            "failed",
            _("Reminders that could not be sent"),
            lambda today: failed_reminders(),
            ("-due_at", "-pk"),
            "staff/worklist/_failed.html",
        ),
    ]
