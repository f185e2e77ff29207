"""Each course's latest visit date, booked follow-up and weight, copied onto the course.

The worklist lists follow-ups due today, this week and overdue for active courses; with the
copy on TreatmentCourse (indexed by status and next_follow_up) that is an index range scan,
where finding every course's latest visit took over a second at 100,000 patients.
Visit.save() keeps the copy; code that writes visits in bulk (demo data, tests) calls
refresh_all() afterwards, one UPDATE whatever the number of courses.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

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


def refresh_all() -> int:
    """Set every course's copy from its visits (PostgreSQL and SQLite). Returns rows updated."""
    with connection.cursor() as cursor:
        cursor.execute(REFRESH)
        return cursor.rowcount
