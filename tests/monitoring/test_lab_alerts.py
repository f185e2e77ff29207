"""Lab alerts (R19, issue 17): a lab value past its named line raises a flag of its urgency,
when the visit is saved and in the nightly run, for both units of the lipids; a value exactly
on the line raises nothing ("above" means above). The lines and their sources are in
clinic/monitoring/thresholds.py and docs/CLINICAL_RULES.md."""

from decimal import Decimal

import pytest

from clinic.monitoring import services
from clinic.monitoring.flagging import raise_flags
from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from clinic.monitoring.models.flags import URGENCY
from tests.course_fixtures import TODAY

TG_800 = FlagKind.TRIGLYCERIDES_ABOVE_800
TG_500 = FlagKind.TRIGLYCERIDES_ABOVE_500
LIVER = FlagKind.LIVER_ENZYMES_ABOVE_3X
CHOLESTEROL = FlagKind.CHOLESTEROL_ABOVE_300
LAB_KINDS = {TG_800, TG_500, LIVER, CHOLESTEROL}


def lab_flags(course) -> set[str]:
    return set(
        CourseFlag.objects.filter(course=course, kind__in=LAB_KINDS).values_list("kind", flat=True)
    )


def saved_visit(course, nurse, **labs):
    """A visit saved as the visit form saves it (flags raised after commit)."""
    return services.record_visit(
        course.patient,
        by=nurse,
        visit_date=TODAY,
        weight_kg=course.baseline_weight_kg,
        nodule_count=course.baseline_nodule_count,
        phq2_interest=0,
        phq2_mood=0,
        **labs,
    )


CASES = [
    # (labs on the visit, the lab flags raised)
    ({"triglycerides": Decimal("500.00"), "triglycerides_unit": "mg/dL"}, set()),
    ({"triglycerides": Decimal("500.01"), "triglycerides_unit": "mg/dL"}, {TG_500}),
    ({"triglycerides": Decimal("800.00"), "triglycerides_unit": "mg/dL"}, {TG_500}),
    ({"triglycerides": Decimal("800.01"), "triglycerides_unit": "mg/dL"}, {TG_800}),
    ({"triglycerides": Decimal("5.65"), "triglycerides_unit": "mmol/L"}, set()),
    ({"triglycerides": Decimal("5.66"), "triglycerides_unit": "mmol/L"}, {TG_500}),
    ({"triglycerides": Decimal("9.03"), "triglycerides_unit": "mmol/L"}, {TG_500}),
    ({"triglycerides": Decimal("9.04"), "triglycerides_unit": "mmol/L"}, {TG_800}),
    ({"alt": 120}, set()),
    ({"alt": 121}, {LIVER}),
    ({"ast": 120}, set()),
    ({"ast": 121}, {LIVER}),
    ({"alt": 130, "ast": 125}, {LIVER}),  # one flag for the visit's liver tests
    ({"total_cholesterol": Decimal("300.00"), "cholesterol_unit": "mg/dL"}, set()),
    ({"total_cholesterol": Decimal("300.01"), "cholesterol_unit": "mg/dL"}, {CHOLESTEROL}),
    ({"total_cholesterol": Decimal("7.76"), "cholesterol_unit": "mmol/L"}, set()),
    ({"total_cholesterol": Decimal("7.77"), "cholesterol_unit": "mmol/L"}, {CHOLESTEROL}),
    (
        {
            "triglycerides": Decimal("900"),
            "triglycerides_unit": "mg/dL",
            "alt": 200,
            "total_cholesterol": Decimal("320"),
            "cholesterol_unit": "mg/dL",
        },
        {TG_800, LIVER, CHOLESTEROL},
    ),
]


@pytest.mark.parametrize(("labs", "expected"), CASES)
def test_saving_a_visit_raises_the_lab_flags_past_their_lines(
    django_capture_on_commit_callbacks, male_patient, start_course, nurse, labs, expected
):
    course = start_course(male_patient)
    with django_capture_on_commit_callbacks(execute=True):
        saved_visit(course, nurse, **labs)
    assert lab_flags(course) == expected


@pytest.mark.parametrize(("labs", "expected"), CASES)
def test_the_nightly_run_raises_the_same_lab_flags(
    male_patient, start_course, nurse, labs, expected
):
    course = start_course(male_patient)
    Visit.objects.create(
        patient=course.patient,
        course=course,
        visit_date=TODAY,
        weight_kg=course.baseline_weight_kg,
        nodule_count=course.baseline_nodule_count,
        phq2_interest=0,
        phq2_mood=0,
        recorded_by=nurse,
        **labs,
    )
    raise_flags()
    assert lab_flags(course) == expected


def test_a_lab_flag_names_the_value_the_unit_and_the_day(
    django_capture_on_commit_callbacks, male_patient, start_course, nurse
):
    course = start_course(male_patient)
    with django_capture_on_commit_callbacks(execute=True):
        visit = saved_visit(course, nurse, triglycerides=Decimal("812"), triglycerides_unit="mg/dL")
    flag = CourseFlag.objects.get(course=course, kind=TG_800)
    assert flag.subject_key == str(visit.pk)
    assert flag.detail.startswith("Triglycerides 812")
    assert f"mg/dL on {TODAY.isoformat()} (R19)" in flag.detail


def test_the_same_visit_never_raises_a_lab_flag_twice_and_a_new_visit_does(
    django_capture_on_commit_callbacks, male_patient, start_course, nurse, prescriber
):
    course = start_course(male_patient)
    with django_capture_on_commit_callbacks(execute=True):
        saved_visit(course, nurse, alt=150)
    flag = CourseFlag.objects.get(course=course, kind=LIVER)
    services.acknowledge_flag(flag, by=prescriber, action="continue", text="Repeat in 2 weeks")
    raise_flags()
    assert CourseFlag.objects.filter(course=course, kind=LIVER).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        saved_visit(course, nurse, alt=160)
    assert CourseFlag.objects.filter(course=course, kind=LIVER).count() == 2


def test_lab_flags_rank_by_urgency():
    assert URGENCY[FlagKind.POSITIVE_PREGNANCY] < URGENCY[TG_800] < URGENCY[TG_500]
    assert URGENCY[TG_800] < URGENCY[LIVER] < URGENCY[CHOLESTEROL]
    assert URGENCY[FlagKind.MOOD_SCREEN] < URGENCY[TG_800]
