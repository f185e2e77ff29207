"""Starting courses, prescribing and dispensing: what is allowed and every refusal's reason."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from dosing import dispensing, services
from dosing import snapshot as dosing_snapshot
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from dosing.services import Refused
from registry.models import Patient
from tests.course_fixtures import TODAY, days_ago
from tests.factories import PatientFactory


def refused(action, message):
    """`action` is refused with `message` among its reasons, and a refusal row is written."""
    before = RefusedAction.objects.count()
    with pytest.raises(Refused) as caught:
        action()
    assert any(message in reason for reason in caught.value.reasons), caught.value.reasons
    assert RefusedAction.objects.count() == before + 1
    return caught.value


def test_a_prescriber_starts_a_course_and_the_patient_is_in_treatment(male_patient, start_course):
    course = start_course(male_patient)
    assert (course.number, course.status) == (1, TreatmentCourse.Status.ACTIVE)
    assert course.week_number(TODAY) == 1
    male_patient.refresh_from_db()
    assert male_patient.status == Patient.Status.IN_TREATMENT
    assert course.history.get().history_user == course.started_by


def test_a_nurse_cannot_start_a_course(male_patient, nurse):
    refused(
        lambda: services.start_course(
            male_patient,
            by=nurse,
            start_date=TODAY,
            baseline_weight_kg=Decimal(70),
            baseline_nodule_count=10,
            formulation="conventional",
        ),
        "Only a prescriber",
    )
    assert not TreatmentCourse.objects.exists()


def test_a_course_needs_consent(prescriber, start_course):
    patient = PatientFactory(prescriber=prescriber, consent_treatment_on=None)
    refused(lambda: start_course(patient), "consent to treatment and registry is not recorded")


def test_only_one_active_course(male_patient, start_course):
    start_course(male_patient)
    refused(lambda: start_course(male_patient), "already has an active or planned course")


def _ended_course(patient, start_course, prescriber, ended_weeks_ago):
    course = start_course(patient, start_date=days_ago(ended_weeks_ago * 7 + 100))
    services.end_course(
        course,
        by=prescriber,
        status="completed",
        reason="Target reached",
        end_date=days_ago(ended_weeks_ago * 7),
    )
    return course


def test_a_second_course_7_weeks_after_the_first_is_refused(male_patient, start_course, prescriber):
    _ended_course(male_patient, start_course, prescriber, ended_weeks_ago=7)
    refused(lambda: start_course(male_patient), "at least 8 weeks off (R10)")
    assert male_patient.courses.count() == 1


def test_a_second_course_8_weeks_after_the_first_is_allowed(male_patient, start_course, prescriber):
    _ended_course(male_patient, start_course, prescriber, ended_weeks_ago=8)
    assert start_course(male_patient).number == 2


# The table of refused actions (issue: dosing, "Tests that must exist") --------------------


def test_141_mg_a_day_at_70_kg_is_refused_above_the_ceiling(male_patient, start_course, prescribe):
    course = start_course(male_patient)
    refused(
        lambda: prescribe(course, mg=Decimal("70.5")),
        "141 mg/day is 2.02 mg/kg/day for 70 kg; the ceiling is 2 mg/kg/day",
    )
    assert not Prescription.objects.exists()


def test_33_mg_per_dose_of_conventional_capsules_is_refused(male_patient, start_course, prescribe):
    course = start_course(male_patient)
    refused(lambda: prescribe(course, mg=33), "33 mg per dose cannot be made from whole")


def test_a_31_day_supply_is_refused(male_patient, start_course, prescribe):
    course = start_course(male_patient)
    refused(lambda: prescribe(course, days=31), "at most 30 days per prescription, no refills")


def test_a_pregnancy_test_8_days_old_is_too_old(
    female_patient, start_course, prescribe, record_test
):
    record_test(female_patient, 40)
    record_test(female_patient, 8)
    course = start_course(female_patient)
    refused(lambda: prescribe(course), "The last negative pregnancy test was 8 days ago")


def test_dispensing_at_a_suspended_pharmacy_is_refused(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    prescription = prescribe(start_course(male_patient))
    pharmacy = make_pharmacy("Closed Pharmacy", status="suspended")
    refused(
        lambda: services.authorize_dispense(prescription, pharmacy=pharmacy, by=pharmacist),
        "its certification is suspended (R17)",
    )
    assert not Dispense.objects.exists()


def test_dispensing_on_day_8_of_a_7_day_window_is_refused(
    female_patient, start_course, prescribe, record_test, make_pharmacy, pharmacist
):
    record_test(female_patient, 25)
    record_test(female_patient, 2)
    prescription = prescribe(start_course(female_patient))
    assert prescription.window_opens == days_ago(2)
    assert prescription.window_closes == days_ago(2) + datetime.timedelta(days=6)
    pharmacy = make_pharmacy()
    day_8 = prescription.window_opens + datetime.timedelta(days=7)
    refused(
        lambda: services.authorize_dispense(
            prescription, pharmacy=pharmacy, by=pharmacist, on=day_8
        ),
        "Day 8 of a 7-day pick-up window",
    )
    day_7 = prescription.window_opens + datetime.timedelta(days=6)
    assert services.authorize_dispense(prescription, pharmacy=pharmacy, by=pharmacist, on=day_7)


def test_dispensing_twice_is_refused(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    prescription = prescribe(start_course(male_patient))
    first = services.authorize_dispense(prescription, pharmacy=make_pharmacy("One"), by=pharmacist)
    refused(
        lambda: services.authorize_dispense(
            prescription, pharmacy=make_pharmacy("Two"), by=pharmacist
        ),
        f"Already dispensed on {TODAY.strftime('%-d %b %Y')} by another pharmacy.",
    )
    # Another pharmacy's name and authorization number are not the asking pharmacy's business.
    reasons = RefusedAction.objects.latest("at").reasons
    assert not any("One" in r or first.authorization_number in r for r in reasons), reasons
    assert Dispense.objects.count() == 1


# What is allowed -------------------------------------------------------------------------


def test_a_prescription_records_weight_capsules_and_a_30_day_window_for_cannot_get_pregnant(
    male_patient, start_course, prescribe
):
    prescription = prescribe(start_course(male_patient), mg=30)
    assert prescription.capsules == "1 × 30 mg"
    assert prescription.weight_kg == Decimal(70)
    assert (prescription.window_opens, prescription.window_closes) == (
        TODAY,
        TODAY + datetime.timedelta(days=29),
    )
    assert prescription.capsules_supplied == 60
    assert prescription.warnings == []


def test_the_first_prescription_needs_two_negative_tests_19_days_apart(
    female_patient, start_course, prescribe, record_test
):
    record_test(female_patient, 15)
    record_test(female_patient, 1)
    course = start_course(female_patient)
    refused(lambda: prescribe(course), "two negative pregnancy tests at least 19 days apart")
    record_test(female_patient, 20)
    assert prescribe(course).pregnancy_test.specimen_date == days_ago(1)


def test_a_later_positive_test_refuses_any_prescription(
    female_patient, start_course, prescribe, record_test
):
    record_test(female_patient, 30)
    record_test(female_patient, 3)
    record_test(female_patient, 1, result="positive")
    course = start_course(female_patient)
    refused(lambda: prescribe(course), "A positive pregnancy test")


def test_a_supply_past_the_20_week_limit_is_refused(male_patient, start_course, prescribe):
    course = start_course(male_patient, start_date=days_ago(130))
    refused(lambda: prescribe(course, days=30), "would run past the 20-week limit")
    assert prescribe(course, days=10).days_supply == 10


def test_a_reversed_dispense_lets_the_prescription_be_dispensed_again(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    prescription = prescribe(start_course(male_patient))
    pharmacy = make_pharmacy()
    dispense = services.authorize_dispense(prescription, pharmacy=pharmacy, by=pharmacist)
    refused(
        lambda: dispensing.reverse_dispense(dispense, by=pharmacist, pharmacy=pharmacy, reason=""),
        "Give the reason",
    )
    dispensing.reverse_dispense(dispense, by=pharmacist, pharmacy=pharmacy, reason="Not picked up")
    again = services.authorize_dispense(prescription, pharmacy=pharmacy, by=pharmacist)
    assert again.authorization_number != dispense.authorization_number


def test_cumulative_dose_counts_only_live_dispenses(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    course = start_course(male_patient)
    pharmacy = make_pharmacy()
    services.authorize_dispense(prescribe(course, mg=30), pharmacy=pharmacy, by=pharmacist)
    assert sum(s.total_mg for s in dosing_snapshot.supplies_of(course)) == Decimal(1800)


def test_the_registry_id_lookup_checks_the_check_character(male_patient, pharmacist):
    wrong = male_patient.registry_id[:-1] + ("0" if male_patient.registry_id[-1] != "0" else "1")
    refused(
        lambda: dispensing.find_prescription(wrong, None, by=pharmacist), "not a valid registry ID"
    )


def test_a_planned_course_starts_in_the_future(male_patient, start_course):
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC)):
        course = start_course(male_patient, start_date=TODAY + datetime.timedelta(days=3))
    assert course.status == TreatmentCourse.Status.PLANNED


def test_a_prescription_needs_this_months_confirmation(
    prescriber, start_course, prescribe, record_test
):
    from registry.models import MonthlyConfirmation
    from tests.course_fixtures import confirm_month

    patient = PatientFactory(prescriber=prescriber, consent_treatment_on=days_ago(50))
    record_test(patient, 25)
    record_test(patient, 1)
    course = start_course(patient)
    refused(lambda: prescribe(course), "this month's confirmation of two forms of contraception")
    confirm_month(patient, days_ago(30))  # older than a month: still refused
    refused(lambda: prescribe(course), "(R16)")
    MonthlyConfirmation.objects.create(
        patient=patient,
        confirmed_on=TODAY,
        contraception_methods=["pill"],
        answers={},
        passed=False,
    )
    refused(lambda: prescribe(course), "(R16)")
    confirm_month(patient, days_ago(29))
    assert prescribe(course).pk
