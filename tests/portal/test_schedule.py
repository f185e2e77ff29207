"""The portal's whole schedule is the staff schedule: the same entries from
dosing.course_data.course_figures, shown week by week for all 20 weeks (R8, R14, R15)."""

import datetime
import re
from html import unescape
from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse

from clinic.monitoring.weights import latest_weight_kg
from dosing.course_data import course_figures
from dosing.schedule import Kind
from tests.portal.builders import TODAY


def schedule_html(client, user, url=None) -> str:
    client.force_login(user)
    response = client.get(url or reverse("portal:schedule"))
    assert response.status_code == 200
    return unescape(response.content.decode())


def doses_on_page(html: str) -> set[tuple]:
    """Every (day, time of day, mg, capsules) the page shows, from each dose line's dates."""
    found = set()
    for first, last, doses in re.findall(
        r'data-kind="dose" data-from="([\d-]+)" data-to="([\d-]+)" data-doses="([^"]*)"', html
    ):
        day = datetime.date.fromisoformat(first)
        while day <= datetime.date.fromisoformat(last):
            for dose in doses.split("|"):
                time_of_day, mg, capsules = dose.split(":")
                found.add((day, time_of_day, int(mg), capsules))
            day += datetime.timedelta(days=1)
    return found


def events_on_page(html: str) -> list[tuple]:
    return [
        (kind, datetime.date.fromisoformat(date), datetime.date.fromisoformat(end) if end else None)
        for kind, date, end in re.findall(
            r'<li class="portal-event[^"]*" data-kind="(\w+)" data-date="([\d-]+)"'
            r'(?: data-end="([\d-]+)")?',
            html,
        )
    ]


def test_the_portal_schedule_equals_the_schedule_services_entries(client, patient, build_course):
    course = build_course(patient.patient, prescriptions=3, visits=2)
    html = schedule_html(client, patient)
    entries = course_figures(course, weight_kg=latest_weight_kg(course)).entries

    expected_doses = {
        (e.date, e.time_of_day, e.mg, e.capsules) for e in entries if e.kind == Kind.DOSE
    }
    assert len(expected_doses) == len([e for e in entries if e.kind == Kind.DOSE])
    assert doses_on_page(html) == expected_doses
    assert {mg for _, _, mg, _ in expected_doses} == {20, 30}

    expected_events = [(e.kind.value, e.date, e.end_date) for e in entries if e.kind != Kind.DOSE]
    assert events_on_page(html) == expected_events
    kinds = {kind for kind, _, _ in expected_events}
    assert {"start", "visit", "pregnancy_test", "pick_up", "limit"} <= kinds


def test_all_20_weeks_are_shown_with_this_week_highlighted(client, patient, build_course):
    course = build_course(patient.patient)
    html = schedule_html(client, patient)
    weeks = re.findall(r'data-week="(\d+)"', html)
    assert weeks == [str(n) for n in range(1, 21)]
    this_week = (TODAY - course.start_date).days // 7 + 1
    current = re.findall(r'id="week-(\d+)" data-week="\d+" aria-current="date"', html)
    assert current == [str(this_week)]
    assert 'class="portal-week card mb-2 is-current"' in html
    assert 'class="is-today"' in html
    assert "20-week limit" in html  # the staff entry's own title
    limit = course.start_date + datetime.timedelta(days=139)
    assert f'data-kind="limit" data-date="{limit.isoformat()}"' in html


def test_the_test_one_month_after_the_last_dose_is_after_the_20_weeks(
    client, patient, build_course
):
    course = build_course(patient.patient)
    html = schedule_html(client, patient)
    after = html.split('id="after-h"')[1]
    last_test = course.start_date + datetime.timedelta(days=139 + 30)
    assert f'data-kind="pregnancy_test" data-date="{last_test.isoformat()}"' in after


def test_the_schedule_prints_without_navigation(client, patient, build_course):
    build_course(patient.patient)
    html = schedule_html(client, patient)
    assert "data-print" in html
    assert "js/portal_actions.js" in html
    css = Path(finders.find("css/clinic.css")).read_text()
    print_rules = css.split("@media print")[1]
    assert "header" in print_rules
    assert "break-inside: avoid" in print_rules


def test_an_earlier_course_is_shown_by_its_own_id(client, patient, build_course, prescriber):
    from dosing import services

    alex = patient.patient
    course = build_course(alex, prescriptions=1)
    services.end_course(course, by=prescriber, status="completed", reason="Done", end_date=TODAY)
    html = schedule_html(client, patient, reverse("portal:course-schedule", args=[course.pk]))
    assert f"Course {course.number}" in html
    assert "ended" in html


def test_another_patients_course_id_is_404(client, patient, other_patient, build_course):
    theirs = build_course(other_patient.patient)
    build_course(patient.patient)
    client.force_login(patient)
    for name in ("portal:course-schedule", "portal:course-progress"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.get(reverse(name, args=[theirs.pk + 1000])).status_code == 404


def test_without_a_course_the_schedule_says_so(client, patient):
    html = schedule_html(client, patient)
    assert "You have no treatment course at the moment." in html
