"""Each course's latest visit date, booked follow-up and weight, and the day of its month-2
labs (R19), copied onto the course.

The worklist lists follow-ups due today, this week and overdue for active courses; with the
copy on TreatmentCourse (indexed by status and next_follow_up) that is an index range scan,
where finding every course's latest visit took over a second at 100,000 patients.
Visit.save() keeps the copy; code that writes visits in bulk (demo data, tests) calls
refresh_all() afterwards, one UPDATE whatever the number of courses.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import Q

from clinic.monitoring.thresholds import MONTH_TWO_LABS_FROM_DAY
from dosing.models import TreatmentCourse

LATEST = """(SELECT v.{column} FROM clinic_visit v WHERE v.course_id = dosing_treatmentcourse.id
             ORDER BY v.visit_date DESC, v.id DESC LIMIT 1)"""
# Constant text, no input.
REFRESH = "UPDATE dosing_treatmentcourse SET last_visit_on = {}, next_follow_up = {}, last_weight_kg = {}".format(  # noqa: S608, E501
    LATEST.format(column="visit_date"),
    LATEST.format(column="next_follow_up"),
    LATEST.format(column="weight_kg"),
)


def note_visit(visit) -> None:
    """A visit was saved: it is the course's latest unless a later-dated one exists."""
    if visit.course_id is None:
        return
    TreatmentCourse.objects.filter(
        Q(last_visit_on__isnull=True) | Q(last_visit_on__lte=visit.visit_date),
        pk=visit.course_id,
    ).update(
        last_visit_on=visit.visit_date,
        next_follow_up=visit.next_follow_up,
        last_weight_kg=visit.weight_kg,
    )


# The month-2 labs: the first visit of the course from MONTH_TWO_LABS_FROM_DAY with both panels.
# Date arithmetic is each database's own; the offset is a parameter.
_FROM_DAY = {
    "postgresql": "dosing_treatmentcourse.start_date + %s",
    "sqlite": "date(dosing_treatmentcourse.start_date, '+' || %s || ' days')",
}
REFRESH_LABS = """UPDATE dosing_treatmentcourse SET month_two_labs_on = (
    SELECT MIN(v.visit_date) FROM clinic_visit v WHERE v.course_id = dosing_treatmentcourse.id
      AND v.triglycerides IS NOT NULL AND v.total_cholesterol IS NOT NULL
      AND v.alt IS NOT NULL AND v.ast IS NOT NULL AND v.visit_date >= {from_day})"""


def has_month_two_panels(visit) -> bool:
    """Both fasting lipids and both liver tests recorded at the visit."""
    values = (visit.triglycerides, visit.total_cholesterol, visit.alt, visit.ast)
    return all(value is not None for value in values)


def note_month_two_labs(visit) -> None:
    """A visit with both panels from week 7 on gives its course the month-2 labs' day."""
    if visit.course_id is None or not has_month_two_panels(visit):
        return
    counts_from = visit.visit_date - datetime.timedelta(days=MONTH_TWO_LABS_FROM_DAY - 1)
    TreatmentCourse.objects.filter(
        Q(month_two_labs_on__isnull=True) | Q(month_two_labs_on__gt=visit.visit_date),
        pk=visit.course_id,
        start_date__lte=counts_from,
    ).update(month_two_labs_on=visit.visit_date)


def refresh_all() -> int:
    """Set every course's copy from its visits (PostgreSQL and SQLite). Returns rows updated."""
    with connection.cursor() as cursor:
        cursor.execute(REFRESH)
        updated = cursor.rowcount
        sql = REFRESH_LABS.format(from_day=_FROM_DAY[connection.vendor])
        cursor.execute(sql, [MONTH_TWO_LABS_FROM_DAY - 1])
        return updated
