"""Entering visits: plausibility checks, the pregnancy test (R18), flags raised at once."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from dosing.models import TreatmentCourse
from registry.models import PregnancyTest
from tests.course_fixtures import TODAY, days_ago


def visit_data(**overrides):
    data = {
        "visit_date": str(TODAY),
        "weight_kg": "70",
        "nodule_count": "10",
        "phq2_interest": "0",
        "phq2_mood": "0",
        "triglycerides_unit": "mg/dL",
        "cholesterol_unit": "mg/dL",
        "next_follow_up": str(TODAY + datetime.timedelta(days=28)),
    }
    data.update(overrides)
    return data


@pytest.fixture
def course(male_patient, start_course):
    return start_course(male_patient, start_date=days_ago(30), nodules=20)


def post(client, user, patient, capture, **overrides):
    client.force_login(user)
    with capture(execute=True):
        return client.post(reverse("staff:visit-new", args=[patient.pk]), visit_data(**overrides))


def test_a_nurse_records_a_visit_in_the_active_course(
    client, nurse, course, django_capture_on_commit_callbacks
):
    response = post(
        client,
        nurse,
        course.patient,
        django_capture_on_commit_callbacks,
        side_effects=["dry_lips", "headache"],
        triglycerides="180",
        alt="35",
    )
    assert response.url == course.get_absolute_url()
    visit = Visit.objects.get()
    assert (visit.course, visit.recorded_by, visit.nodule_count) == (course, nurse, 10)
    assert visit.side_effect_labels() == ["Dry lips", "Headache"]
    page = client.get(course.get_absolute_url()).content.decode()
    assert "50.0% fewer" in page
    assert "Triglycerides (fasting) 180 mg/dL (high, above 150)" in page
    assert "ALT 35 U/L" in page
    assert 'id="course-chart-data"' in page
    assert visit.history.get().history_user == nurse


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight_kg", "24", "25 kg is the lowest weight accepted"),
        ("weight_kg", "251", "250 kg is the highest weight accepted"),
        ("nodule_count", "-1", "cannot be negative"),
        ("visit_date", str(TODAY + datetime.timedelta(days=1)), "in the future"),
        ("next_follow_up", str(TODAY), "must be after this visit"),
    ],
)
def test_implausible_values_are_refused_with_a_message(
    client, nurse, course, django_capture_on_commit_callbacks, field, value, message
):
    response = post(
        client, nurse, course.patient, django_capture_on_commit_callbacks, **{field: value}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Visit.objects.exists()


NODULES_MAX = "500 is the highest nodule count accepted; check the count."
TG, CHOL = "triglyceride value", "total cholesterol"
UNIT = {"triglycerides": "triglycerides_unit", "total_cholesterol": "cholesterol_unit"}


def lab(edge, bound, what):
    return f"{bound} is the {edge} {what} accepted; check the value and the unit."


# (field, unit or None, accepted at the bound, one past it, the message)
BOUNDS = [
    ("nodule_count", None, "500", "501", NODULES_MAX),
    ("nodule_count", None, "0", "100000", NODULES_MAX),
    ("triglycerides", "mg/dL", "10", "9.99", lab("lowest", "10 mg/dL", TG)),
    ("triglycerides", "mg/dL", "9000", "9000.01", lab("highest", "9,000 mg/dL", TG)),
    ("triglycerides", "mmol/L", "0.1", "0.09", lab("lowest", "0.1 mmol/L", TG)),
    ("triglycerides", "mmol/L", "100", "100.01", lab("highest", "100 mmol/L", TG)),
    ("total_cholesterol", "mg/dL", "30", "29.99", lab("lowest", "30 mg/dL", CHOL)),
    ("total_cholesterol", "mg/dL", "1500", "1500.01", lab("highest", "1,500 mg/dL", CHOL)),
    ("total_cholesterol", "mmol/L", "0.8", "0.79", lab("lowest", "0.8 mmol/L", CHOL)),
    ("total_cholesterol", "mmol/L", "40", "40.01", lab("highest", "40 mmol/L", CHOL)),
    ("alt", None, "1", "0", "1 U/L is the lowest ALT accepted; check the value."),
    ("alt", None, "10000", "10001", "10,000 U/L is the highest ALT accepted; check the value."),
    ("ast", None, "1", "0", "1 U/L is the lowest AST accepted; check the value."),
    ("ast", None, "10000", "10001", "10,000 U/L is the highest AST accepted; check the value."),
]


@pytest.mark.parametrize(("field", "unit", "accepted", "refused", "message"), BOUNDS)
def test_each_visit_number_has_plausible_bounds(
    client,
    nurse,
    course,
    django_capture_on_commit_callbacks,
    field,
    unit,
    accepted,
    refused,
    message,
):
    values = {UNIT[field]: unit} if unit else {}
    response = post(
        client,
        nurse,
        course.patient,
        django_capture_on_commit_callbacks,
        **values,
        **{field: refused},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert f'id="error_1_id_{field}"' in html  # shown under its own field
    assert message in html
    assert not Visit.objects.exists()
    response = post(
        client,
        nurse,
        course.patient,
        django_capture_on_commit_callbacks,
        **values,
        **{field: accepted},
    )
    assert response.status_code == 302
    assert Decimal(getattr(Visit.objects.get(), field)) == Decimal(accepted)


def test_the_visit_model_refuses_implausible_numbers_too(course, nurse):
    from django.core.exceptions import ValidationError

    visit = Visit(
        patient=course.patient,
        course=course,
        visit_date=TODAY,
        weight_kg=70,
        nodule_count=100000,
        phq2_interest=0,
        phq2_mood=0,
        triglycerides=180,  # mg/dL would be fine: this is a mg/dL value with mmol/L chosen
        triglycerides_unit="mmol/L",
        alt=10001,
        recorded_by=nurse,
    )
    with pytest.raises(ValidationError) as refused:
        visit.full_clean()
    assert refused.value.message_dict == {
        "nodule_count": [NODULES_MAX],
        "triglycerides": [lab("highest", "100 mmol/L", TG)],
        "alt": ["10,000 U/L is the highest ALT accepted; check the value."],
    }


def test_a_weight_change_over_10_percent_asks_for_confirmation(
    client, nurse, course, django_capture_on_commit_callbacks
):
    response = post(
        client, nurse, course.patient, django_capture_on_commit_callbacks, weight_kg="78"
    )
    assert "11% away from the last recorded 70" in response.content.decode()
    assert not Visit.objects.exists()
    post(
        client,
        nurse,
        course.patient,
        django_capture_on_commit_callbacks,
        weight_kg="78",
        confirm_weight_change="on",
    )
    assert Visit.objects.get().weight_kg == 78


def test_a_visit_crossing_70_percent_raises_the_flag_at_once(
    client, nurse, course, django_capture_on_commit_callbacks
):
    post(client, nurse, course.patient, django_capture_on_commit_callbacks, nodule_count="5")
    flag = CourseFlag.objects.get(course=course)
    assert flag.kind == FlagKind.NODULES_DOWN_70
    assert "Nodule count 5 from 20" in flag.detail


def test_a_positive_mood_screen_raises_a_flag(
    client, nurse, course, django_capture_on_commit_callbacks
):
    post(
        client,
        nurse,
        course.patient,
        django_capture_on_commit_callbacks,
        phq2_interest="2",
        phq2_mood="1",
    )
    assert CourseFlag.objects.get(course=course).kind == FlagKind.MOOD_SCREEN


def test_a_positive_pregnancy_test_at_a_visit_stops_the_course_and_flags_it(
    client,
    nurse,
    female_patient,
    start_course,
    record_test,
    prescribe,
    make_pharmacy,
    pharmacist,
    django_capture_on_commit_callbacks,
):
    from dosing import services

    record_test(female_patient, 25)
    record_test(female_patient, 1)
    course = start_course(female_patient)
    prescription = prescribe(course)
    response = post(
        client,
        nurse,
        female_patient,
        django_capture_on_commit_callbacks,
        test_specimen_date=str(TODAY),
        test_result="positive",
        test_setting="medical",
        contraception=["iud", "condom"],
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert PregnancyTest.objects.filter(result="positive").count() == 1
    assert CourseFlag.objects.filter(course=course, kind=FlagKind.POSITIVE_PREGNANCY).exists()
    with pytest.raises(services.Refused, match="course is discontinued"):
        services.authorize_dispense(prescription, pharmacy=make_pharmacy(), by=pharmacist)


def test_the_pregnancy_section_is_only_for_patients_who_can_get_pregnant(
    client, nurse, male_patient, female_patient
):
    client.force_login(nurse)
    male = client.get(reverse("staff:visit-new", args=[male_patient.pk])).content.decode()
    female = client.get(reverse("staff:visit-new", args=[female_patient.pk])).content.decode()
    assert "test_result" not in male
    assert "test_result" in female


def test_prescribing_uses_the_latest_visit_weight(
    client, nurse, prescriber, course, django_capture_on_commit_callbacks
):
    post(
        client,
        nurse,
        course.patient,
        django_capture_on_commit_callbacks,
        weight_kg="66",
        confirm_weight_change="on",
    )
    client.force_login(prescriber)
    page = client.get(reverse("staff:course-prescribe", args=[course.pk])).content.decode()
    assert 'data-testid="weight">66 kg' in page
