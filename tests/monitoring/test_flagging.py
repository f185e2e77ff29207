"""flag_courses: set-based, the boundaries of R8 and R9 as tables, idempotent, audited."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.monitoring import services
from clinic.monitoring.course_charts import nodule_progress
from clinic.monitoring.flagging import QUERIES, raise_flags
from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from tests.course_fixtures import TODAY, days_ago
from tests.factories import PatientFactory


def visit(course, nurse, *, nodules, on=None, phq=(0, 0), follow_up=None):
    return Visit.objects.create(
        patient=course.patient,
        course=course,
        visit_date=on or TODAY,
        weight_kg=course.baseline_weight_kg,
        nodule_count=nodules,
        phq2_interest=phq[0],
        phq2_mood=phq[1],
        recorded_by=nurse,
        next_follow_up=follow_up or (on or TODAY) + datetime.timedelta(days=28),
    )


def kinds(course):
    return set(CourseFlag.objects.filter(course=course).values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("course_day", "flagged"), [(119, False), (139, False), (140, True), (141, True)]
)
def test_the_20_week_flag_is_raised_on_day_140(male_patient, start_course, course_day, flagged):
    course = start_course(male_patient, start_date=days_ago(course_day - 1))
    raise_flags()
    assert (FlagKind.REACHED_20_WEEKS in kinds(course)) is flagged


@pytest.mark.parametrize(("course_day", "flagged"), [(119, False), (120, True)])
def test_the_approaching_flag_is_raised_in_week_18(male_patient, start_course, course_day, flagged):
    course = start_course(male_patient, start_date=days_ago(course_day - 1))
    raise_flags()
    assert (FlagKind.APPROACHING_20_WEEKS in kinds(course)) is flagged


@pytest.mark.parametrize(
    ("baseline", "latest", "flagged"),
    [
        (20, 6, False),  # exactly 70% fewer: not "more than 70%"
        (1000, 299, True),  # 70.1% fewer
        (20, 5, True),
        (20, 7, False),
        (0, 0, False),  # no nodules at baseline: nothing to divide, no flag
    ],
)
def test_the_70_percent_flag_needs_more_than_70_percent(
    male_patient, start_course, nurse, baseline, latest, flagged
):
    course = start_course(male_patient, nodules=baseline)
    visit(course, nurse, nodules=latest)
    raise_flags()
    assert (FlagKind.NODULES_DOWN_70 in kinds(course)) is flagged


@pytest.mark.parametrize(
    ("baseline", "latest"),
    [(207, 62), (20, 6), (20, 5), (1000, 299), (1000, 300), (501, 150), (0, 0)],
)
def test_the_course_page_and_the_flag_agree_on_more_than_70_percent(
    male_patient, start_course, nurse, baseline, latest
):
    """One threshold (clinic.monitoring.thresholds): the page's "more than 70% fewer" badge
    and the nightly flag say the same for every count, also where the rounded percentage
    shown reads 70.0 (207 to 62 is 70.048% fewer)."""
    course = start_course(male_patient, nodules=baseline)
    visit(course, nurse, nodules=latest)
    raise_flags()
    progress = nodule_progress(course, list(course.visits.order_by("visit_date", "pk")))
    assert progress.past_70 is (FlagKind.NODULES_DOWN_70 in kinds(course))


def test_only_the_latest_visit_counts_for_the_nodule_flag(male_patient, start_course, nurse):
    course = start_course(male_patient, nodules=20, start_date=days_ago(60))
    visit(course, nurse, nodules=2, on=days_ago(30))
    visit(course, nurse, nodules=15, on=days_ago(1))
    raise_flags()
    assert FlagKind.NODULES_DOWN_70 not in kinds(course)


def test_a_follow_up_is_overdue_7_days_after_the_planned_date(male_patient, start_course, nurse):
    course = start_course(male_patient, start_date=days_ago(60))
    visit(course, nurse, nodules=10, on=days_ago(40), follow_up=days_ago(7))
    raise_flags()
    assert FlagKind.FOLLOW_UP_OVERDUE not in kinds(course)
    Visit.objects.update(next_follow_up=days_ago(8))
    raise_flags()
    assert FlagKind.FOLLOW_UP_OVERDUE in kinds(course)


@pytest.mark.parametrize(("phq", "flagged"), [((1, 1), False), ((2, 1), True), ((3, 3), True)])
def test_a_phq2_score_of_3_or_more_is_flagged(male_patient, start_course, nurse, phq, flagged):
    course = start_course(male_patient)
    visit(course, nurse, nodules=10, phq=phq)
    raise_flags()
    assert (FlagKind.MOOD_SCREEN in kinds(course)) is flagged


def test_running_twice_raises_nothing_new(male_patient, start_course, nurse):
    course = start_course(male_patient, start_date=days_ago(150), nodules=20)
    visit(course, nurse, nodules=2, phq=(3, 0))
    first = raise_flags()
    second = raise_flags()
    assert first.raised == 4  # 20 weeks, week 18, 70% fewer, mood
    assert second.raised == 0
    assert CourseFlag.objects.count() == 4


def test_an_acknowledged_flag_is_not_raised_again(male_patient, start_course, prescriber):
    course = start_course(male_patient, start_date=days_ago(150))
    raise_flags()
    flag = CourseFlag.objects.get(course=course, kind=FlagKind.REACHED_20_WEEKS)
    flag.acknowledged_by, flag.acknowledged_at = prescriber, flag.raised_at
    flag.action = "continue"
    flag.save()
    assert raise_flags().raised == 0


# Flags after acknowledgement (docs/CLINICAL_RULES.md) ------------------------------------------


def acknowledge(course, kind, prescriber):
    flag = CourseFlag.objects.get(course=course, kind=kind, acknowledged_at=None)
    return services.acknowledge_flag(flag, by=prescriber, action="continue")


def nodule_flags(course):
    return list(
        CourseFlag.objects.filter(course=course, kind=FlagKind.NODULES_DOWN_70)
        .order_by("pk")
        .values_list("detail", "acknowledged_at")
    )


@pytest.mark.parametrize(
    ("later_count", "raised_again"),
    [(5, False), (6, False), (4, True), (0, True)],  # acknowledged at 5 of 20
)
@pytest.mark.parametrize("one_course", [False, True])  # the nightly run, or a visit's save
def test_an_acknowledged_nodule_flag_is_raised_again_only_for_a_lower_count(
    male_patient, start_course, nurse, prescriber, later_count, raised_again, one_course
):
    course = start_course(male_patient, nodules=20, start_date=days_ago(60))
    visit(course, nurse, nodules=5, on=days_ago(30))
    raise_flags()
    acknowledge(course, FlagKind.NODULES_DOWN_70, prescriber)
    visit(course, nurse, nodules=later_count, on=days_ago(1))
    run = raise_flags(course_id=course.pk if one_course else None)
    assert run.raised == int(raised_again)
    flags = nodule_flags(course)
    assert len(flags) == 1 + raised_again
    if raised_again:
        assert flags[-1] == (f"Nodule count {later_count} from 20 at baseline (R9)", None)
    assert raise_flags().raised == 0  # and a second run raises nothing new


def test_each_acknowledgement_moves_the_count_a_new_nodule_flag_must_beat(
    male_patient, start_course, nurse, prescriber
):
    course = start_course(male_patient, nodules=20, start_date=days_ago(90))
    planned = TODAY + datetime.timedelta(days=28)  # no overdue flag in the way
    for count, on, raised in [(5, 60, 1), (4, 45, 1), (5, 30, 0), (4, 15, 0), (3, 1, 1)]:
        visit(course, nurse, nodules=count, on=days_ago(on), follow_up=planned)
        assert raise_flags().raised == raised, f"count {count}"
        if raised:
            acknowledge(course, FlagKind.NODULES_DOWN_70, prescriber)
    assert [detail.split()[2] for detail, _ in nodule_flags(course)] == ["5", "4", "3"]


def test_an_open_nodule_flag_is_not_raised_twice_for_a_lower_count(
    male_patient, start_course, nurse
):
    course = start_course(male_patient, nodules=20, start_date=days_ago(60))
    visit(course, nurse, nodules=5, on=days_ago(30))
    raise_flags()
    visit(course, nurse, nodules=2, on=days_ago(1))
    assert raise_flags().raised == 0  # one open flag per course and kind: it is still open
    assert len(nodule_flags(course)) == 1


def test_an_acknowledged_mood_flag_is_raised_again_only_for_another_visit(
    male_patient, start_course, nurse, prescriber
):
    course = start_course(male_patient, start_date=days_ago(60))
    first = visit(course, nurse, nodules=10, on=days_ago(30), phq=(2, 1))
    raise_flags()
    acknowledge(course, FlagKind.MOOD_SCREEN, prescriber)
    assert raise_flags().raised == 0  # the same visit never again
    visit(course, nurse, nodules=10, on=days_ago(1), phq=(3, 0))
    assert raise_flags().raised == 1  # a new positive screen is a new finding (R20)
    assert raise_flags().raised == 0
    keys = CourseFlag.objects.filter(course=course, kind=FlagKind.MOOD_SCREEN)
    assert sorted(keys.values_list("subject_key", flat=True))[0] == str(first.pk)
    assert keys.count() == 2


def test_an_acknowledged_overdue_flag_is_raised_again_only_for_a_new_planned_date(
    male_patient, start_course, nurse, prescriber
):
    course = start_course(male_patient, start_date=days_ago(80))
    visit(course, nurse, nodules=10, on=days_ago(60), follow_up=days_ago(40))
    raise_flags()
    acknowledge(course, FlagKind.FOLLOW_UP_OVERDUE, prescriber)
    assert raise_flags().raised == 0
    visit(course, nurse, nodules=10, on=days_ago(38), follow_up=days_ago(10))
    assert raise_flags().raised == 1  # the newly planned visit was missed too
    assert raise_flags().raised == 0


def test_raised_flags_are_in_the_audit_history(male_patient, start_course):
    course = start_course(male_patient, start_date=days_ago(150))
    raise_flags()
    flag = CourseFlag.objects.get(course=course, kind=FlagKind.REACHED_20_WEEKS)
    record = flag.history.get()
    assert (record.history_type, record.history_change_reason) == ("+", "raised by flag_courses")


@pytest.mark.parametrize("courses", [10, 1000])
def test_a_fixed_number_of_statements_whatever_the_number_of_courses(
    prescriber, start_course, courses
):
    from decimal import Decimal

    from dosing.models import TreatmentCourse
    from registry.models import Patient

    patients = PatientFactory.create_batch(1, prescriber=prescriber)
    template = patients[0]
    new_patients = Patient.objects.bulk_create(
        [
            Patient(
                registry_id=f"T{index:07d}-X",
                first_name="P",
                last_name=str(index),
                date_of_birth=template.date_of_birth,
                sex="male",
                risk_category="cannot_get_pregnant",
                prescriber=prescriber,
            )
            for index in range(courses)
        ]
    )
    TreatmentCourse.objects.bulk_create(
        [
            TreatmentCourse(
                patient=patient,
                number=1,
                start_date=days_ago(140),
                baseline_weight_kg=Decimal(70),
                baseline_nodule_count=10,
                formulation="conventional",
                started_by=prescriber,
            )
            for patient in new_patients
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        run = raise_flags()
    flag_statements = [q for q in queries.captured_queries if "courseflag" in q["sql"]]
    # One INSERT ... SELECT per kind the run raises (11 kinds, all but the dose ceiling, which
    # a weight raises at once), and one for their history.
    assert len(QUERIES) == len(FlagKind) - 1 == 10
    assert run.statements == len(flag_statements) == len(QUERIES) + 1
    assert run.raised == 2 * courses  # 20 weeks and week 18 for each


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_raise_one_flag_per_course_and_kind(male_patient, start_course):
    course = start_course(male_patient, start_date=days_ago(150))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            raise_flags()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(CourseFlag.objects.filter(course=course).values_list("kind", flat=True)) == [
        FlagKind.APPROACHING_20_WEEKS,
        FlagKind.REACHED_20_WEEKS,
    ]


def test_the_management_command_reports_what_it_did(male_patient, start_course, capsys):
    start_course(male_patient, start_date=days_ago(150))
    call_command("flag_courses")
    assert f"Raised 2 flag(s) in {len(QUERIES) + 1} SQL statements." in capsys.readouterr().out
