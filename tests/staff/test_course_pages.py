"""Staff course pages: start a course, prescribe with the live dose check, the course page."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dosing import snapshot as dosing_snapshot
from dosing.models import Prescription, RefusedAction, TreatmentCourse
from tests.course_fixtures import TODAY, days_ago, draw_baseline_labs
from tests.dosing.test_rules import LABEL_TABLE


@pytest.fixture
def course(male_patient, start_course, nurse):
    draw_baseline_labs(male_patient, by=nurse)
    return start_course(male_patient)


def test_a_prescriber_starts_a_course_through_the_form(client, prescriber, male_patient):
    client.force_login(prescriber)
    response = client.post(
        reverse("staff:course-start", args=[male_patient.pk]),
        {
            "start_date": str(TODAY),
            "baseline_weight_kg": "70",
            "baseline_nodule_count": "24",
            "formulation": "conventional",
            "target_mg_per_kg": "120",
        },
    )
    course = TreatmentCourse.objects.get()
    assert response.url == course.get_absolute_url()
    page = client.get(response.url).content.decode()
    assert "Week 1 of 20" in page
    assert 'class="cumulative-bar' in page
    assert "0% of the target" in page


def test_a_refused_course_start_lists_the_reasons(client, prescriber, male_patient):
    male_patient.consent_treatment_on = None
    male_patient.save()
    client.force_login(prescriber)
    response = client.post(
        reverse("staff:course-start", args=[male_patient.pk]),
        {
            "start_date": str(TODAY),
            "baseline_weight_kg": "70",
            "baseline_nodule_count": "3",
            "formulation": "conventional",
            "target_mg_per_kg": "120",
        },
    )
    assert response.status_code == 200
    assert "consent to treatment and registry is not recorded" in response.content.decode()
    assert not TreatmentCourse.objects.exists()
    assert RefusedAction.objects.get().kind == "start_course"


@pytest.mark.parametrize(("weight", "expected"), LABEL_TABLE.items())
def test_the_prescribing_page_shows_the_label_table_row_for_the_weight(
    client, prescriber, male_patient, start_course, weight, expected
):
    course = start_course(male_patient, weight=str(weight))
    client.force_login(prescriber)
    html = client.get(reverse("staff:course-prescribe", args=[course.pk])).content.decode()
    table = html.split('data-testid="label-table"')[1].split("</table>")[0]
    assert re.findall(r"<td>(\d+) mg</td>", table) == [str(v) for v in expected]


def test_the_suggested_doses_are_buttons_with_capsules(client, prescriber, course):
    client.force_login(prescriber)
    html = client.get(reverse("staff:course-prescribe", args=[course.pk])).content.decode()
    suggestions = html.split('data-testid="suggestions"')[1].split("</fieldset>")[0]
    assert re.findall(r'data-dose="(\d+)"', suggestions) == ["20", "30"]
    assert "1 × 30 mg · 0.86 mg/kg/day · full dose" in suggestions


def test_the_live_check_answers_from_the_rules_module(client, prescriber, course):
    client.force_login(prescriber)
    url = reverse("staff:course-prescribe-check", args=[course.pk])
    ok = client.get(url, {"mg_per_dose": "30", "doses_per_day": "2", "days_supply": "30"})
    text = ok.content.decode()
    assert "60 mg/day is 0.86 mg/kg/day for 70 kg" in text
    assert "1 × 30 mg" in text
    assert "1800 mg = 25.7 mg/kg" in text
    bad = client.get(url, {"mg_per_dose": "33", "doses_per_day": "2"}).content.decode()
    assert "33 mg per dose cannot be made" in bad
    assert "<html" not in bad  # a fragment for htmx, not a page


def test_a_prescription_above_the_ceiling_is_refused_and_recorded(client, prescriber, course):
    client.force_login(prescriber)
    response = client.post(
        reverse("staff:course-prescribe", args=[course.pk]),
        {"mg_per_dose": "80", "doses_per_day": "2", "days_supply": "30"},
    )
    assert response.status_code == 200
    assert "160 mg/day is 2.29 mg/kg/day for 70 kg; the ceiling is 2 mg/kg/day" in (
        response.content.decode()
    )
    assert not Prescription.objects.exists()
    refusal = RefusedAction.objects.get()
    assert (refusal.kind, refusal.user, refusal.course) == ("prescribe", prescriber, course)


def test_a_31_day_supply_is_refused_next_to_the_field(client, prescriber, course):
    client.force_login(prescriber)
    response = client.post(
        reverse("staff:course-prescribe", args=[course.pk]),
        {"mg_per_dose": "30", "doses_per_day": "2", "days_supply": "31"},
    )
    assert "at most 30 days per prescription" in response.context["form"].errors["days_supply"][0]
    assert not Prescription.objects.exists()


def test_a_prescription_then_appears_on_the_course_page(client, prescriber, course):
    client.force_login(prescriber)
    response = client.post(
        reverse("staff:course-prescribe", args=[course.pk]),
        {"mg_per_dose": "30", "doses_per_day": "2", "days_supply": "30"},
    )
    assert response.url == course.get_absolute_url()
    page = client.get(course.get_absolute_url()).content.decode()
    assert "30 mg × 2/day" in page
    assert "Not dispensed" in page
    assert "30 mg morning (1 × 30 mg) + 30 mg evening (1 × 30 mg)" in page


def prescribe_page(client, course, **extra):
    return client.post(
        reverse("staff:course-prescribe", args=[course.pk]),
        {"mg_per_dose": "30", "doses_per_day": "2", "days_supply": "30", **extra},
    )


def test_the_first_prescription_shows_the_baseline_labs_on_file(client, prescriber, course):
    client.force_login(prescriber)
    page = client.get(reverse("staff:course-prescribe", args=[course.pk])).content.decode()
    assert "baseline labs from the last 30 days (R19)" in page
    assert f"drawn {TODAY:%-d %b %Y}" in page
    assert 'name="labs_not_needed_because"' not in page  # nothing missing: no reason asked


def test_without_baseline_labs_the_first_prescription_is_refused_and_a_reason_asked(
    client, prescriber, male_patient, start_course, nurse
):
    draw_baseline_labs(male_patient, by=nurse, on=days_ago(40))  # too old
    course = start_course(male_patient)
    client.force_login(prescriber)
    response = prescribe_page(client, course)
    assert response.status_code == 200
    page = response.content.decode()
    assert "needs baseline fasting lipids (triglycerides and total cholesterol) and liver" in page
    assert 'name="labs_not_needed_because"' in page
    assert not course.prescriptions.exists()
    refusal = RefusedAction.objects.get(course=course)
    assert "(R19)" in refusal.reasons[0]
    assert refusal.details["lipids_on"] == str(days_ago(40))


def test_a_reason_instead_of_the_baseline_labs_is_kept_with_the_prescription(
    client, prescriber, male_patient, start_course
):
    course = start_course(male_patient)
    client.force_login(prescriber)
    response = prescribe_page(
        client, course, labs_not_needed_because="Drawn by the GP on 2 Mar, letter on file"
    )
    assert response.status_code == 302
    (prescription,) = course.prescriptions.all()
    assert any(
        "Drawn by the GP on 2 Mar, letter on file (R19)" in warning
        for warning in prescription.warnings
    )


def test_a_later_prescription_does_not_ask_for_baseline_labs_again(
    client, prescriber, male_patient, start_course, prescribe
):
    course = start_course(male_patient)
    prescribe(course, days=10)  # the first, with its labs
    client.force_login(prescriber)
    page = client.get(reverse("staff:course-prescribe", args=[course.pk])).content.decode()
    assert "baseline labs" not in page


def test_ending_a_course_needs_a_reason(client, prescriber, course):
    client.force_login(prescriber)
    url = reverse("staff:course-end", args=[course.pk])
    response = client.post(url, {"status": "discontinued", "end_date": str(TODAY), "reason": ""})
    assert "required" in response.content.decode()
    course.refresh_from_db()
    assert course.is_active
    client.post(url, {"status": "discontinued", "end_date": str(TODAY), "reason": "Side effects"})
    course.refresh_from_db()
    assert (course.status, course.end_reason) == ("discontinued", "Side effects")


def test_a_nurse_sees_the_course_but_cannot_prescribe(client, nurse, course):
    client.force_login(nurse)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Week 1 of 20" in page
    assert reverse("staff:course-prescribe", args=[course.pk]) not in page
    assert client.get(reverse("staff:course-prescribe", args=[course.pk])).status_code == 404


def test_the_course_page_query_count_does_not_grow_with_prescriptions(
    client, prescriber, course, prescribe, make_pharmacy, pharmacist
):
    from dosing import services
    from dosing.rules import BaselineLabs

    client.force_login(prescriber)
    prescribe(course, days=10)
    with CaptureQueriesContext(connection) as one:
        client.get(course.get_absolute_url())
    pharmacy = make_pharmacy()
    for _ in range(4):
        # Dose changes mid-month: each replaces the supply handed out before it (R13).
        rx = services.prescribe(
            course,
            by=prescriber,
            prescribed_on=course.start_date,
            weight_kg=course.baseline_weight_kg,
            mg_per_dose=30,
            doses_per_day=2,
            days_supply=10,
            replace_reason="Dose change",
            baseline_labs=BaselineLabs(),  # not the first prescription: labs not asked
        )
        services.authorize_dispense(rx, pharmacy=pharmacy, by=pharmacist)
    with CaptureQueriesContext(connection) as five:
        client.get(course.get_absolute_url())
    assert len(one) == len(five)
    assert Prescription.objects.count() == 5
    assert Decimal(0) < sum(s.total_mg for s in dosing_snapshot.supplies_of(course))


def test_a_second_prescription_says_it_voided_the_first_and_the_page_strikes_it_through(
    client, prescriber, course
):
    client.force_login(prescriber)
    url = reverse("staff:course-prescribe", args=[course.pk])
    client.post(url, {"mg_per_dose": "30", "doses_per_day": "2", "days_supply": "30"})
    html = client.get(url).content.decode()
    assert "This replaces the prescription of" in html  # said before the second is written
    response = client.post(
        url, {"mg_per_dose": "40", "doses_per_day": "2", "days_supply": "30"}, follow=True
    )
    html = response.content.decode()
    assert "not yet dispensed, is voided." in html
    assert 'data-testid="voided-prescription"' in html
    assert html.count("Voided") >= 1
    assert Prescription.objects.filter(voided_at__isnull=True).count() == 1
