"""The monthly steps (iPLEDGE, R13 to R16; docs/CLINICAL_RULES.md "The monthly steps"): what a
month is, each step done, missing or not needed for both risk categories, the boundaries of a
month in the clinic's time zone, and the counselling confirmation's refusals."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from dosing import counselling
from dosing.models import CounsellingConfirmation, RefusedAction, TreatmentCourse
from dosing.monthly_steps import (
    Month,
    State,
    any_step_missing,
    course_steps,
    in_treatment_during,
    steps_of,
)
from dosing.services import Refused
from tests.course_fixtures import days_ago
from tests.dosing import monthly_rows as rows
from tests.dosing.monthly_rows import UTC_AT, at
from tests.factories import PatientFactory

D = datetime.date
JUNE = Month(2026, 6)


# What a month is ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "month"), [("2026-12", Month(2026, 12)), ("2027-01", Month(2027, 1))]
)
def test_a_month_is_read_from_year_dash_month(text, month):
    assert Month.parse(text) == month
    assert str(month) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-00",
        "2026-1",
        "26-12",
        "2026-12-01",
        " 2026-12",
        "2026-12\n",
        "2026/12",
        "December 2026",
        "1999-12",
        "\uff12\uff10\uff12\uff16-\uff11\uff12",  # full-width digits
        "9999-12",
    ],
)
def test_anything_else_is_not_a_month(text):
    with pytest.raises(ValueError, match="for example 2026-12"):
        Month.parse(text)


def test_a_month_runs_from_its_first_to_its_last_day():
    assert (Month(2028, 2).first, Month(2028, 2).last) == (D(2028, 2, 1), D(2028, 2, 29))
    assert Month(2026, 12).next == Month(2027, 1)
    assert Month(2026, 12).label == "December 2026"
    assert Month(2026, 11) < Month(2026, 12) < Month(2027, 1)


def test_this_month_is_the_clinics_not_the_servers():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    with time_machine.travel(UTC_AT(2026, 6, 30, 23, 30), tick=False):
        assert Month.current() == Month(2026, 7)
    with time_machine.travel(UTC_AT(2026, 12, 31, 23, 30), tick=False):  # GMT: still 2026
        assert Month.current() == Month(2026, 12)


# The pure decision -------------------------------------------------------------------------


def test_a_patient_who_can_get_pregnant_needs_all_five_steps():
    done = {"test": D(2026, 6, 2), "prescription": D(2026, 6, 3)}
    steps = steps_of(can_get_pregnant=True, done_on=done)
    assert [(s.key, s.state, s.on) for s in steps] == [
        ("test", State.DONE, D(2026, 6, 2)),
        ("confirmation", State.MISSING, None),
        ("counselling", State.MISSING, None),
        ("prescription", State.DONE, D(2026, 6, 3)),
        ("pickup", State.MISSING, None),
    ]


def test_a_patient_who_cannot_get_pregnant_needs_no_test_nor_confirmation():
    done = {"test": D(2026, 6, 2), "confirmation": D(2026, 6, 2), "counselling": D(2026, 6, 3)}
    steps = steps_of(can_get_pregnant=False, done_on=done)
    assert [(s.key, s.state) for s in steps] == [
        ("test", State.NOT_NEEDED),
        ("confirmation", State.NOT_NEEDED),
        ("counselling", State.DONE),
        ("prescription", State.MISSING),
        ("pickup", State.MISSING),
    ]
    assert [s.label for s in steps if s.missing] == ["Prescription", "Pick-up"]


# The steps read from the records, at the month's edges --------------------------------------


@pytest.fixture
def june_course(prescriber, nurse, make_pharmacy):
    """A course in treatment since May 2026 of a patient who can get pregnant."""
    patient = PatientFactory(prescriber=prescriber, risk_category="can_get_pregnant")
    course = rows.course(patient, by=prescriber, start=D(2026, 5, 10))
    return course, make_pharmacy("Riverside Pharmacy")


def test_each_step_counts_only_inside_the_month(june_course, prescriber, nurse):
    course, pharmacy = june_course
    patient = course.patient
    assert [s.state for s in course_steps(course, JUNE)] == [State.MISSING] * 5
    # Just outside June, or not the kind of record that counts: still missing.
    rows.pregnancy_test(patient, D(2026, 5, 31), by=nurse)
    rows.pregnancy_test(patient, D(2026, 7, 1), by=nurse)
    rows.pregnancy_test(patient, D(2026, 6, 12), by=nurse, result="positive")
    rows.confirmation(patient, D(2026, 5, 31))
    rows.confirmation(patient, D(2026, 6, 4), passed=False)
    rows.counselled(course, D(2026, 5, 1), by=prescriber, moment=at(2026, 6, 2))
    rows.prescription(course, D(2026, 6, 2), by=prescriber, voided=True)
    may_rx = rows.prescription(course, D(2026, 5, 30), by=prescriber)
    # 23:30 UTC on 30 June is 1 July in London: July's pick-up, not June's.
    rows.pick_up(may_rx, UTC_AT(2026, 6, 30, 23, 30), pharmacy=pharmacy, by=nurse)
    rows.pick_up(
        rows.prescription(course, D(2026, 5, 29), by=prescriber),
        at(2026, 6, 15),
        pharmacy=pharmacy,
        by=nurse,
        reversed_=True,
    )
    assert [s.state for s in course_steps(course, JUNE)] == [State.MISSING] * 5
    assert course_steps(course, Month(2026, 7))[4].on == D(2026, 7, 1)

    # Inside June: done, on the latest day of each.
    rows.pregnancy_test(patient, D(2026, 6, 1), by=nurse)
    rows.pregnancy_test(patient, D(2026, 6, 3), by=nurse)
    rows.confirmation(patient, D(2026, 6, 30))
    rows.counselled(course, D(2026, 6, 1), by=prescriber, moment=UTC_AT(2026, 6, 4, 23, 30))
    june_rx = rows.prescription(course, D(2026, 6, 3), by=prescriber)
    # 23:30 UTC on 31 May is 00:30 on 1 June in London: June's pick-up.
    rows.pick_up(june_rx, UTC_AT(2026, 5, 31, 23, 30), pharmacy=pharmacy, by=nurse)
    steps = course_steps(course, JUNE)
    assert [(s.state, s.on) for s in steps] == [
        (State.DONE, D(2026, 6, 3)),
        (State.DONE, D(2026, 6, 30)),
        (State.DONE, D(2026, 6, 5)),  # 23:30 UTC on 4 June is 5 June in London
        (State.DONE, D(2026, 6, 3)),
        (State.DONE, D(2026, 6, 1)),
    ]


def test_a_patient_who_cannot_get_pregnant_is_complete_with_three_steps(
    prescriber, nurse, make_pharmacy
):
    patient = PatientFactory(prescriber=prescriber, risk_category="cannot_get_pregnant")
    course = rows.course(patient, by=prescriber, start=D(2026, 5, 10))
    missing = TreatmentCourse.objects.filter(any_step_missing(JUNE))
    assert list(missing) == [course]
    rows.counselled(course, D(2026, 6, 1), by=prescriber, moment=at(2026, 6, 2))
    rx = rows.prescription(course, D(2026, 6, 2), by=prescriber)
    rows.pick_up(rx, at(2026, 6, 3), pharmacy=make_pharmacy(), by=nurse)
    steps = course_steps(course, JUNE)
    assert [s.state for s in steps] == [State.NOT_NEEDED] * 2 + [State.DONE] * 3
    assert list(missing.all()) == []


def test_a_patient_who_can_get_pregnant_is_listed_until_test_and_confirmation_are_done(
    june_course, prescriber, nurse
):
    course, pharmacy = june_course
    rows.counselled(course, D(2026, 6, 1), by=prescriber, moment=at(2026, 6, 2))
    rx = rows.prescription(course, D(2026, 6, 2), by=prescriber)
    rows.pick_up(rx, at(2026, 6, 3), pharmacy=pharmacy, by=nurse)
    missing = TreatmentCourse.objects.filter(any_step_missing(JUNE))
    assert list(missing) == [course]
    rows.pregnancy_test(course.patient, D(2026, 6, 2), by=nurse)
    assert list(missing.all()) == [course]
    rows.confirmation(course.patient, D(2026, 6, 2))
    assert list(missing.all()) == []


def test_the_courses_in_treatment_during_a_month(prescriber):
    def course_of(start, status="active", end=None):
        made = rows.course(PatientFactory(prescriber=prescriber), by=prescriber, start=start)
        TreatmentCourse.objects.filter(pk=made.pk).update(status=status, end_date=end)
        return made

    running = course_of(D(2026, 3, 1))
    ended_in_june = course_of(D(2026, 2, 1), "completed", D(2026, 6, 1))
    started_last_day = course_of(D(2026, 6, 30))
    course_of(D(2026, 1, 1), "completed", D(2026, 5, 31))  # ended before June
    course_of(D(2026, 7, 1))  # starts after
    course_of(D(2026, 6, 10), "planned")  # never in treatment
    assert set(in_treatment_during(JUNE)) == {running, ended_in_june, started_last_day}


# The counselling confirmation --------------------------------------------------------------


def refused(action, message, *, recorded=True):
    """`action` is refused with `message` among its reasons, a refusal row is written (unless
    `recorded` is False) and no confirmation is added."""
    before = RefusedAction.objects.count(), CounsellingConfirmation.objects.count()
    with pytest.raises(Refused) as caught:
        action()
    assert any(message in reason for reason in caught.value.reasons), caught.value.reasons
    assert RefusedAction.objects.count() == before[0] + (1 if recorded else 0)
    assert CounsellingConfirmation.objects.count() == before[1]
    return caught.value


def test_a_prescriber_confirms_this_months_counselling_with_history(
    prescriber, female_patient, start_course
):
    course = start_course(female_patient)
    row = counselling.confirm_counselling(course, month=Month.current(), by=prescriber)
    assert (row.month, row.confirmed_by) == (Month.current().first, prescriber)
    history = row.history.get()
    assert (history.history_type, history.history_user) == ("+", prescriber)
    assert [s.state for s in course_steps(course, Month.current())][2] == State.DONE


def test_a_nurse_cannot_confirm_counselling(nurse, female_patient, start_course):
    course = start_course(female_patient)
    refused(
        lambda: counselling.confirm_counselling(course, month=Month.current(), by=nurse),
        "Only a prescriber can confirm the monthly counselling.",
    )
    row = RefusedAction.objects.get()
    assert (row.kind, row.user, row.course, row.patient) == (
        RefusedAction.Kind.COUNSELLING,
        nurse,
        course,
        female_patient,
    )
    assert row.details == {"month": str(Month.current())}


@pytest.mark.parametrize("status", ["planned", "completed", "discontinued"])
def test_a_course_not_in_treatment_is_refused(prescriber, female_patient, start_course, status):
    course = start_course(female_patient)
    TreatmentCourse.objects.filter(pk=course.pk).update(status=status)
    course.refresh_from_db()
    refused(
        lambda: counselling.confirm_counselling(course, month=Month.current(), by=prescriber),
        "This course is not in treatment",
    )


def test_a_month_not_started_or_before_the_course_is_refused(
    prescriber, female_patient, start_course
):
    course = start_course(female_patient)
    now = Month.current()
    refused(
        lambda: counselling.confirm_counselling(course, month=now.next, by=prescriber),
        f"{now.next.label} has not started",
    )
    before = Month.of(course.start_date - datetime.timedelta(days=31))
    refused(
        lambda: counselling.confirm_counselling(course, month=before, by=prescriber),
        f"{before.label} is before it",
    )


def test_an_earlier_month_of_the_course_may_be_confirmed_late(
    prescriber, female_patient, start_course
):
    course = start_course(female_patient, start_date=days_ago(40))
    last_month = Month.of(days_ago(40))
    row = counselling.confirm_counselling(course, month=last_month, by=prescriber)
    assert row.month == last_month.first


def test_a_second_confirmation_of_the_month_is_refused_without_a_record(
    prescriber, female_patient, start_course
):
    course = start_course(female_patient)
    first = counselling.confirm_counselling(course, month=Month.current(), by=prescriber)
    refused(
        lambda: counselling.confirm_counselling(course, month=Month.current(), by=prescriber),
        f"was already confirmed by {prescriber.get_full_name()}",
        recorded=False,
    )
    assert CounsellingConfirmation.objects.get() == first


def test_one_row_per_course_and_month_in_the_database(prescriber, female_patient, start_course):
    course = start_course(female_patient)
    rows.counselled(course, Month.current().first, by=prescriber, moment=at(2026, 6, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.counselled(course, Month.current().first, by=prescriber, moment=at(2026, 6, 3))
