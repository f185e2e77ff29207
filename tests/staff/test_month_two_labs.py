"""Month-2 labs (R19, issue 17): an active course from day 57 (week 9) with no fasting lipids
and liver tests drawn at a visit since day 43 (week 7) is a due item on the worklist, until a
visit records both panels; the section costs the same queries whatever the number of rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.monitoring.models import Visit
from clinic.staff import worklist
from dosing.models import TreatmentCourse
from tests.course_fixtures import TODAY, days_ago
from tests.factories import PatientFactory

FULL_PANEL = {
    "triglycerides": Decimal(130),
    "triglycerides_unit": "mg/dL",
    "total_cholesterol": Decimal(190),
    "cholesterol_unit": "mg/dL",
    "alt": 30,
    "ast": 28,
}


def visit(course, nurse, on, **labs):
    return Visit.objects.create(
        patient=course.patient,
        course=course,
        visit_date=on,
        weight_kg=70,
        nodule_count=10,
        phq2_interest=0,
        phq2_mood=0,
        recorded_by=nurse,
        **labs,
    )


def another_patient(prescriber):
    return PatientFactory(
        prescriber=prescriber,
        consent_treatment_on=days_ago(9),
        risk_category="cannot_get_pregnant",
        sex="M",
    )


def due(today=TODAY) -> list[TreatmentCourse]:
    return list(worklist.month_two_labs_due(today))


@pytest.mark.parametrize(("course_day", "listed"), [(56, False), (57, True), (120, True)])
def test_a_course_is_due_from_day_57(male_patient, start_course, course_day, listed):
    course = start_course(male_patient, start_date=days_ago(course_day - 1))
    assert (course in due()) is listed


@pytest.mark.parametrize(
    ("visit_day", "labs", "listed"),
    [
        (43, FULL_PANEL, False),  # week 7: counts
        (42, FULL_PANEL, True),  # week 6: too early to be the month-2 labs
        (50, {k: v for k, v in FULL_PANEL.items() if k not in ("alt", "ast")}, True),
        (50, {k: v for k, v in FULL_PANEL.items() if k != "total_cholesterol"}, True),
        (50, {}, True),
    ],
)
def test_labs_drawn_from_week_7_take_the_course_off_the_list(
    male_patient, start_course, nurse, visit_day, labs, listed
):
    course = start_course(male_patient, start_date=days_ago(69))  # day 70 today
    visit(course, nurse, course.start_date + datetime.timedelta(days=visit_day - 1), **labs)
    course.refresh_from_db()
    assert (course in due()) is listed


def test_a_later_visit_without_labs_does_not_put_it_back(male_patient, start_course, nurse):
    course = start_course(male_patient, start_date=days_ago(79))
    visit(course, nurse, days_ago(20), **FULL_PANEL)
    visit(course, nurse, days_ago(5))
    assert course not in due()


def test_an_ended_course_is_not_listed(male_patient, start_course, prescriber):
    from dosing import services

    course = start_course(male_patient, start_date=days_ago(80))
    services.end_course(
        course, by=prescriber, status="discontinued", end_date=TODAY, reason="Side effects"
    )
    assert course not in due()


def test_the_worklist_shows_the_section_oldest_first(
    client, nurse, prescriber, male_patient, start_course
):
    older = start_course(male_patient, start_date=days_ago(100))
    newer = start_course(
        another_patient(prescriber),
        start_date=days_ago(60),
    )
    client.force_login(nurse)
    response = client.get(reverse("staff:worklist"))
    labs = next(s for s in response.context["sections"] if s["key"] == "labs")
    assert [c.pk for c in labs["rows"]] == [older.pk, newer.pk]
    page = response.content.decode()
    assert "Month-2 labs due" in page
    assert f"{older.start_date:%-d %b %Y}" in page
    assert "Week 15" in page  # day 101


def test_the_section_costs_the_same_queries_for_1_or_12_courses(
    client, nurse, prescriber, male_patient, start_course
):
    start_course(male_patient, start_date=days_ago(90))
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("staff:worklist-section", args=["labs"]))
    for _ in range(11):
        start_course(
            another_patient(prescriber),
            start_date=days_ago(90),
        )
    with CaptureQueriesContext(connection) as twelve:
        client.get(reverse("staff:worklist-section", args=["labs"]))
    assert len(one) == len(twelve)
