"""The portal's start page, "My course": today's doses, the next visit and pregnancy test, the
pick-up window and the week of the course (R1, R4, R8, R14, R15)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dosing.course_data import course_figures
from dosing.schedule import Kind
from registry.models import Patient
from tests.portal.builders import FOLLOW_UP_IN_DAYS, START_DAYS_AGO, TODAY, days_ago


def page_of(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</section>")[0]


def test_it_shows_todays_doses_from_the_schedule(client, patient, build_course):
    course = build_course(patient.patient)
    html = page_of(client, patient)
    today = section(html, "today-doses")
    assert "Morning" in today
    assert "Evening" in today
    assert today.count("30 mg</strong>") == 2
    assert "1 × 30 mg" in today
    assert "Never take two at once" in today  # R4
    entries = course_figures(course, weight_kg=70).entries
    todays = [e for e in entries if e.kind == Kind.DOSE and e.date == TODAY]
    assert [(e.time_of_day, e.mg) for e in todays] == [("morning", 30), ("evening", 30)]


def test_it_shows_the_week_of_the_course(client, patient, build_course):
    build_course(patient.patient)
    html = page_of(client, patient)
    week = START_DAYS_AGO // 7 + 1
    assert f"Week {week} of 20" in section(html, "portal-week").split("</p>")[0] + "</p>"


def test_the_next_visit_is_the_follow_up_booked_at_the_last_visit(client, patient, build_course):
    build_course(patient.patient)
    visit = section(page_of(client, patient), "next-visit")
    booked = TODAY + datetime.timedelta(days=FOLLOW_UP_IN_DAYS)
    assert booked.strftime("%A %-d %B") in visit
    assert "Booked at your last visit" in visit


def test_without_a_visit_the_next_visit_is_the_schedules(client, patient, build_course):
    course = build_course(patient.patient, visits=0)
    visit = section(page_of(client, patient), "next-visit")
    planned = course.start_date + datetime.timedelta(days=56)  # visits every 28 days
    assert planned.strftime("%A %-d %B") in visit
    assert "Planned" in visit


def test_the_next_pregnancy_test_is_shown_only_where_required(
    client, patient, other_patient, build_course
):
    build_course(patient.patient)
    html = page_of(client, patient)
    booked = TODAY + datetime.timedelta(days=FOLLOW_UP_IN_DAYS)
    assert booked.strftime("%A %-d %B") in section(html, "next-test")

    jordan = other_patient.patient
    jordan.risk_category = Patient.RiskCategory.CANNOT_GET_PREGNANT
    jordan.save()
    build_course(jordan)
    assert 'data-testid="next-test"' not in page_of(client, other_patient)


def test_the_pick_up_window_says_which_pharmacy_dispensed_it(client, patient, build_course):
    build_course(patient.patient)
    pick_up = section(page_of(client, patient), "pick-up")
    assert "Collected from <strong>Riverside Pharmacy</strong>" in pick_up
    assert days_ago(10).strftime("%-d %B") in pick_up


def test_an_open_window_says_until_when(client, patient, build_course, prescriber):
    from dosing import services
    from tests.course_fixtures import confirm_month, labs_drawn

    alex = patient.patient
    alex.risk_category = Patient.RiskCategory.CANNOT_GET_PREGNANT
    alex.save()
    course = build_course(alex, prescriptions=0)
    confirm_month(alex)
    services.prescribe(
        course,
        by=prescriber,
        prescribed_on=TODAY,
        baseline_labs=labs_drawn(TODAY),
        weight_kg=70,
        mg_per_dose=30,
        doses_per_day=2,
        days_supply=30,
    )
    html = page_of(client, patient)
    pick_up = section(html, "pick-up")
    closes = TODAY + datetime.timedelta(days=29)  # R15: 30 days from the visit
    assert "Ready to collect now" in pick_up
    assert closes.strftime("%A %-d %B") in pick_up
    assert "30 days left" in pick_up
    assert "Start once you have collected your medicine" in section(html, "today-doses")


def test_without_a_course_it_says_so(client, patient):
    html = page_of(client, patient)
    assert "You have no treatment course at the moment." in html
    assert 'data-testid="today-doses"' not in html


def test_a_planned_course_says_when_it_starts(client, patient, start_course):
    alex = patient.patient
    alex.consent_treatment_on = days_ago(5)
    alex.save()
    start_course(alex, start_date=TODAY + datetime.timedelta(days=3))
    html = page_of(client, patient)
    starts = (TODAY + datetime.timedelta(days=3)).strftime("%A %-d %B")
    assert f"Your course starts on {starts}" in html


def test_the_monthly_confirmation_is_asked_for_when_due(client, patient, build_course):
    course = build_course(patient.patient)
    assert 'data-testid="confirmation-due"' not in page_of(client, patient)
    course.patient.monthly_confirmations.all().delete()
    assert 'data-testid="confirmation-due"' in page_of(client, patient)


@pytest.mark.parametrize("risk", list(Patient.RiskCategory))
def test_queries_do_not_grow_with_prescriptions_and_visits(
    client, patient, other_patient, build_course, risk
):
    def count(user, **sizes):
        record = user.patient
        record.risk_category = risk
        record.save()
        build_course(record, **sizes)
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:home")).status_code == 200
        return len(queries)

    few = count(patient, prescriptions=1, visits=1)
    many = count(other_patient, prescriptions=4, visits=3)
    assert few == many
    assert many <= 16
