"""The staff start page's lists. Each is one query (plus one for its count badge) whatever
the number of rows; tables render from select_related rows only."""

from __future__ import annotations

import datetime

import django_tables2 as tables
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.urls import reverse
from django.utils.html import format_html

from clinic.models import CourseFlag, Reminder, Visit
from clinic.models.flags import URGENCY, FlagKind
from dosing.models import Dispense, Prescription

ROW_LIMIT = 50


def open_flags():
    """Open flags, most urgent kind first, then oldest first (ordered in SQL, so the rows
    shown are the most urgent ones even when there are more than the page shows)."""
    urgency = Case(
        *[When(kind=kind.value, then=Value(rank)) for kind, rank in URGENCY.items()],
        output_field=IntegerField(),
    )
    return (
        CourseFlag.objects.filter(acknowledged_at=None)
        .select_related("course__patient")
        .annotate(urgency_rank=urgency)
        .order_by("urgency_rank", "raised_at")
    )


def latest_visits_of_active_courses():
    later = Visit.objects.filter(course=OuterRef("course"), visit_date__gt=OuterRef("visit_date"))
    return (
        Visit.objects.filter(course__status="active")
        .exclude(Exists(later))
        .select_related("patient", "course__patient")
    )


def planned_visits(today: datetime.date, days: int):
    return (
        latest_visits_of_active_courses()
        .filter(next_follow_up__gte=today, next_follow_up__lt=today + datetime.timedelta(days=days))
        .order_by("next_follow_up")
    )


def overdue_follow_ups(today: datetime.date):
    return (
        latest_visits_of_active_courses()
        .filter(next_follow_up__lt=today)
        .order_by("next_follow_up")
    )


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


class PatientColumn(tables.Column):
    def __init__(self, accessor, **kwargs):
        super().__init__(accessor=accessor, verbose_name="Patient", orderable=False, **kwargs)

    def render(self, value):
        return format_html(
            '<a href="{}">{}</a> <span class="font-monospace small text-nowrap">{}</span>',
            value.get_absolute_url(),
            value.full_name,
            value.registry_id,
        )


class WorklistTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm align-middle mb-0"}
        empty_text = "Nothing here."


class FlagTable(WorklistTable):
    kind = tables.Column(verbose_name="Flag", orderable=False)
    patient = PatientColumn("course__patient")
    detail = tables.Column(orderable=False)
    raised_at = tables.DateTimeColumn(verbose_name="Raised", format="j M H:i", orderable=False)
    acknowledge = tables.Column(empty_values=(), orderable=False, verbose_name="")

    def render_kind(self, record):
        css = "text-bg-danger" if URGENCY[FlagKind(record.kind)] < 2 else "text-bg-warning"
        return format_html('<span class="badge {}">{}</span>', css, record.get_kind_display())

    def render_acknowledge(self, record):
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">Acknowledge</a>',
            reverse("flag-acknowledge", args=[record.pk]),
        )

    class Meta(WorklistTable.Meta):
        pass


class VisitTable(WorklistTable):
    next_follow_up = tables.DateColumn(verbose_name="Planned", format="D j M", orderable=False)
    patient = PatientColumn("patient")
    visit_date = tables.DateColumn(verbose_name="Last visit", format="j M", orderable=False)
    course = tables.Column(orderable=False, linkify=True)

    class Meta(WorklistTable.Meta):
        pass


class WindowTable(WorklistTable):
    window_closes = tables.DateColumn(verbose_name="Window closes", format="D j M", orderable=False)
    patient = PatientColumn("course__patient")
    dose = tables.Column(accessor="pk", verbose_name="Prescription", orderable=False)

    def render_dose(self, record):
        return f"{record.mg_per_dose} mg × {record.doses_per_day}/day, {record.days_supply} days"

    class Meta(WorklistTable.Meta):
        pass


class FailedReminderTable(WorklistTable):
    kind = tables.Column(orderable=False)
    recipient = tables.Column(orderable=False)
    due_at = tables.DateTimeColumn(verbose_name="Due", format="j M H:i", orderable=False)
    last_error = tables.Column(verbose_name="Error", orderable=False)
    attempts = tables.Column(orderable=False)

    class Meta(WorklistTable.Meta):
        pass


def bounded(queryset, limit: int = ROW_LIMIT) -> tuple[list, int]:
    """Up to `limit` rows and the total: one query, two when there are more rows than shown."""
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], queryset.count()
