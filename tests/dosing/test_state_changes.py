"""Changes after a prescription is written reach it (issue 13): a withdrawal, the risk
category, a positive pregnancy test, the end of a course, a second prescription, a lower
weight, the 20-week limit and the cumulative dose. Each rule is tested where harm happens:
at the counter (authorize_dispense), not only when the prescription is written."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.monitoring import services as clinic_services
from clinic.monitoring.models import CourseFlag, FlagKind
from dosing import rules, services
from dosing import snapshot as dosing_snapshot
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from registry import services as registry_services
from registry.models import Patient
from tests.course_fixtures import TODAY, days_ago, labs_drawn


def refused_at_counter(prescription, pharmacy, by, text):
    before = RefusedAction.objects.count()
    with pytest.raises(services.Refused) as caught:
        services.authorize_dispense(prescription, pharmacy=pharmacy, by=by)
    assert any(text in r for r in caught.value.reasons), caught.value.reasons
    assert RefusedAction.objects.count() == before + 1
    assert not Dispense.objects.filter(prescription=prescription).exists()
    return caught.value.reasons


def test_a_withdrawn_patient_is_neither_prescribed_to_nor_dispensed_to(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist, nurse
):
    course = start_course(male_patient)
    rx = prescribe(course)
    registry_services.change_status(male_patient, "withdrawn", "Moved abroad", by=nurse)
    course.refresh_from_db()
    rx.refresh_from_db()
    male_patient.refresh_from_db()
    assert male_patient.status == Patient.Status.WITHDRAWN  # not overwritten by the course end
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert course.end_reason.startswith("Withdrawn from the registry: Moved abroad")
    assert rx.is_voided
    assert rx.voided_by == nurse
    reasons = refused_at_counter(rx, make_pharmacy(), pharmacist, "withdrawn from the registry")
    assert any("voided" in r for r in reasons)
    with pytest.raises(services.Refused):
        prescribe(course)


def test_two_prescriptions_on_one_day_leave_one_to_dispense(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    course = start_course(male_patient)
    first = prescribe(course, mg=30)
    second = prescribe(course, mg=40)
    first.refresh_from_db()
    assert first.is_voided
    assert first.replaced_by == second
    assert "Replaced by the prescription of" in first.void_reason
    pharmacy = make_pharmacy()
    refused_at_counter(first, pharmacy, pharmacist, "was voided on")
    assert services.authorize_dispense(second, pharmacy=pharmacy, by=pharmacist)


def test_a_prescription_the_day_after_a_30_day_dispense_is_refused_unless_replacing(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist, prescriber
):
    course = start_course(male_patient, start_date=days_ago(1))
    first = prescribe(course, on=days_ago(1))
    dispense = services.authorize_dispense(first, pharmacy=make_pharmacy(), by=pharmacist)
    with pytest.raises(services.Refused) as caught:
        prescribe(course)
    assert any("still covers" in r and "(R13)" in r for r in caught.value.reasons)
    assert Prescription.objects.count() == 1
    replacement = services.prescribe(
        course,
        by=prescriber,
        prescribed_on=TODAY,
        baseline_labs=labs_drawn(TODAY),
        weight_kg=Decimal(70),
        mg_per_dose=20,
        doses_per_day=2,
        days_supply=30,
        replace_reason="Dry lips: lower dose",
    )
    dispense.refresh_from_db()
    assert dispense.ended_on == TODAY
    assert dispense.end_reason == "Replaced mid-month: Dry lips: lower dose"
    assert services.authorize_dispense(replacement, pharmacy=make_pharmacy("Two"), by=pharmacist)


def test_a_dispense_while_the_last_supply_covers_more_than_a_week_is_refused(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    course = start_course(male_patient, start_date=days_ago(30))
    first = prescribe(course, on=days_ago(30))
    pharmacy = make_pharmacy()
    dispense = services.authorize_dispense(first, pharmacy=pharmacy, by=pharmacist, on=days_ago(30))
    # Dispensed 22 days ago: it still covers 8 days (today included).
    Dispense.objects.filter(pk=dispense.pk).update(
        authorized_at=dispense.authorized_at - datetime.timedelta(days=22)
    )
    second = Prescription.objects.create(
        course=course,
        prescribed_on=TODAY,
        prescribed_by=first.prescribed_by,
        weight_kg=70,
        mg_per_dose=30,
        formulation="conventional",
        capsules_per_dose=[30],
        days_supply=30,
        window_opens=TODAY,
        window_closes=TODAY + datetime.timedelta(days=29),
    )
    refused_at_counter(second, pharmacy, pharmacist, "still covers 8 days")
    Dispense.objects.filter(pk=dispense.pk).update(
        authorized_at=dispense.authorized_at - datetime.timedelta(days=23)
    )
    assert services.authorize_dispense(second, pharmacy=pharmacy, by=pharmacist)


def test_a_change_to_can_get_pregnant_voids_what_was_written_without_a_test(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist, prescriber, record_test
):
    course = start_course(male_patient)
    rx = prescribe(course)
    assert not rx.written_can_get_pregnant

    changed = registry_services.update_patient(
        male_patient, by=prescriber, risk_category=Patient.RiskCategory.CAN_GET_PREGNANT
    )
    assert changed.consequences == [
        "1 prescription written without a pregnancy test voided: a negative test and the "
        "monthly confirmation come first (R14, R16)."
    ]
    rx.refresh_from_db()
    assert rx.is_voided
    assert "can get pregnant" in rx.void_reason
    record_test(male_patient, 2)
    refused_at_counter(rx, make_pharmacy(), pharmacist, "voided")


def test_a_prescription_written_under_cannot_get_pregnant_is_refused_at_the_counter_after_a_change(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    """Even without the service's voiding (a category changed by any route), the counter
    checks the category the prescription was written under."""
    rx = prescribe(start_course(male_patient))
    Patient.objects.filter(pk=male_patient.pk).update(
        risk_category=Patient.RiskCategory.CAN_GET_PREGNANT
    )
    refused_at_counter(rx, make_pharmacy(), pharmacist, 'risk category is now "can get pregnant"')


def test_a_positive_test_stops_a_planned_course_too(
    client, nurse, female_patient, start_course, record_test
):
    course = start_course(female_patient, start_date=TODAY + datetime.timedelta(days=5))
    assert course.status == TreatmentCourse.Status.PLANNED
    client.force_login(nurse)
    response = client.post(
        reverse("staff:pregnancy-test-new", args=[female_patient.pk]),
        {"specimen_date": TODAY.isoformat(), "result": "positive", "setting": "medical"},
        follow=True,
    )
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert course.end_reason == services.R18_REASON
    assert "is stopped at once" in response.content.decode()


def test_a_positive_test_voids_the_prescription_and_ends_the_supply_handed_out(
    female_patient, start_course, prescribe, record_test, make_pharmacy, pharmacist, nurse
):
    record_test(female_patient, 25)
    record_test(female_patient, 2)
    course = start_course(female_patient, start_date=days_ago(2))
    rx = prescribe(course)
    dispense = services.authorize_dispense(rx, pharmacy=make_pharmacy(), by=pharmacist)
    Dispense.objects.filter(pk=dispense.pk).update(
        authorized_at=dispense.authorized_at - datetime.timedelta(days=2)
    )
    _test, stopped = clinic_services.record_pregnancy_test(
        female_patient, by=nurse, specimen_date=TODAY, result="positive", setting="medical"
    )
    assert [c.pk for c in stopped] == [course.pk]
    dispense.refresh_from_db()
    assert dispense.ended_on == TODAY
    assert dosing_snapshot.supplies_of(course)[0].days == 2  # two days taken, none from today


def test_ending_a_course_voids_its_open_prescription(
    male_patient, start_course, prescribe, prescriber, make_pharmacy, pharmacist
):
    course = start_course(male_patient)
    rx = prescribe(course)
    services.end_course(course, by=prescriber, status="completed", reason="Done", end_date=TODAY)
    rx.refresh_from_db()
    assert rx.is_voided
    assert "The course ended" in rx.void_reason
    refused_at_counter(rx, make_pharmacy(), pharmacist, "The course is completed")


def test_no_pick_up_window_ends_after_the_20_week_limit(male_patient, start_course, prescribe):
    course = start_course(male_patient, start_date=days_ago(125))  # limit in 14 days
    rx = prescribe(course, days=10)
    assert rx.window_closes == course.limit_date - datetime.timedelta(days=9)
    assert rx.window_closes + datetime.timedelta(days=rx.days_supply - 1) <= course.limit_date


def test_a_short_supply_written_before_the_limit_is_refused_after_it(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    course = start_course(male_patient, start_date=days_ago(130))
    rx = prescribe(course, days=5)
    past_limit = course.limit_date + datetime.timedelta(days=1)
    Prescription.objects.filter(pk=rx.pk).update(window_closes=past_limit)  # an old row
    with pytest.raises(services.Refused) as caught:
        services.authorize_dispense(rx, pharmacy=make_pharmacy(), by=pharmacist, on=past_limit)
    assert any("(R8)" in r for r in caught.value.reasons)


def test_a_lower_weight_flags_the_dose_and_the_pages_say_so(
    client, male_patient, start_course, prescribe, prescriber, nurse
):
    course = start_course(male_patient, weight="70")
    prescribe(course, mg=70)  # 140 mg/day: 2 mg/kg/day at 70 kg
    client.force_login(nurse)
    response = client.post(
        reverse("staff:visit-new", args=[male_patient.pk]),
        {
            "visit_date": TODAY.isoformat(),
            "weight_kg": "65",
            "nodule_count": "10",
            "phq2_interest": "0",
            "phq2_mood": "0",
            "triglycerides_unit": "mg/dL",
            "cholesterol_unit": "mg/dL",
            "next_follow_up": (TODAY + datetime.timedelta(days=28)).isoformat(),
        },
    )
    assert response.status_code == 302
    flag = CourseFlag.objects.get(course=course, kind=FlagKind.DOSE_ABOVE_CEILING)
    assert "(R2, R6)" in flag.detail
    client.force_login(prescriber)
    html = client.get(course.get_absolute_url()).content.decode()
    assert "The current dose is above 2 mg/kg/day for the latest weight." in html
    assert "140 mg/day is 2.16 mg/kg/day" in html


def test_past_150_mg_per_kg_is_refused_and_the_bar_shows_the_real_share(
    client, male_patient, start_course, prescriber, make_pharmacy, pharmacist
):
    course = start_course(male_patient, start_date=days_ago(100), weight="50")
    pharmacy = make_pharmacy()
    for start, days in ((100, 30), (70, 30), (40, 15)):
        rx = services.prescribe(
            course,
            by=prescriber,
            prescribed_on=days_ago(start),
            baseline_labs=labs_drawn(days_ago(start)),
            weight_kg=Decimal(50),
            mg_per_dose=50,
            doses_per_day=2,
            days_supply=days,
        )
        dispense = services.authorize_dispense(
            rx, pharmacy=pharmacy, by=pharmacist, on=days_ago(start)
        )
        Dispense.objects.filter(pk=dispense.pk).update(
            authorized_at=dispense.authorized_at - datetime.timedelta(days=start)
        )
    # 75 days × 100 mg = 7500 mg = 150 mg/kg at 50 kg, 125% of a 120 mg/kg target: one more
    # 20 mg day would pass 150 mg/kg.
    with pytest.raises(services.Refused) as caught:
        services.prescribe(
            course,
            by=prescriber,
            prescribed_on=TODAY,
            baseline_labs=labs_drawn(TODAY),
            weight_kg=Decimal(50),
            mg_per_dose=10,
            doses_per_day=2,
            days_supply=1,
        )
    assert any("beyond 150 mg/kg (R7)" in r for r in caught.value.reasons)
    client.force_login(prescriber)
    html = client.get(course.get_absolute_url()).content.decode()
    assert "125% of the target: the target is reached (R7)" in html
    assert "projected to reach it" not in html


def test_the_prescribing_check_warns_past_the_target(male_patient, start_course):
    course = start_course(male_patient, weight="50")
    check, decision = services.prescription_decision(
        course,
        on=TODAY,
        weight_kg=Decimal(50),
        mg_per_dose=Decimal(50),
        doses_per_day=2,
        days_supply=30,
        baseline_labs=labs_drawn(TODAY),
    )
    # 3000 mg = 60 mg/kg: under the 120 mg/kg target, no warning.
    assert not any("(R7)" in w for w in check.warnings)
    assert rules.CUMULATIVE_CEILING_MG_PER_KG == 150
    assert decision.allowed


def test_the_status_page_says_what_a_withdrawal_voided(
    client, nurse, male_patient, start_course, prescribe
):
    course = start_course(male_patient)
    prescribe(course)
    client.force_login(nurse)
    response = client.post(
        reverse("staff:patient-status", args=[male_patient.pk]),
        {"status": "withdrawn", "reason": "Moved abroad"},
        follow=True,
    )
    html = response.content.decode()
    assert "Status changed." in html
    assert f"Course {course.number} is discontinued: what was written for it" in html
    assert Prescription.objects.get().is_voided
