"""The patient reminder for the month-2 labs (R19): one reminder on day 43 of an active course,
to come in before day 57; cancelled when the labs are drawn, the course ends or the patient
withdraws; checked again when it is due; written once, not at every visit."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from clinic.monitoring.services import record_visit
from clinic.reminders.models import Reminder
from clinic.reminders.sending import (
    COURSE_NOT_ACTIVE,
    LABS_DRAWN,
    build_message,
    send_due_reminders,
    skip_reason,
)
from dosing import services as dosing
from dosing.models import TreatmentCourse
from registry import services as registry_services
from registry.models import Patient
from tests.reminders.test_reminder_sending import assert_no_health_details

Kind, Status = Reminder.Kind, Reminder.Status
DAY = datetime.timedelta(days=1)
START = datetime.date(2027, 3, 1)
DAY_43 = START + 42 * DAY  # 12 April 2027
DAY_57 = START + 56 * DAY
LABS = {"triglycerides": Decimal(140), "total_cholesterol": Decimal(190), "alt": 30, "ast": 25}


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def at(day, hour=10):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_default_timezone()),
        tick=False,
    )


def visit(patient, by, day, **labs):
    return record_visit(
        patient,
        by=by,
        visit_date=day,
        weight_kg=Decimal(70),
        nodule_count=12,
        phq2_interest=0,
        phq2_mood=0,
        next_follow_up=day + 28 * DAY,
        **labs,
    )


def labs_reminders(patient, **filters):
    return list(
        Reminder.objects.filter(patient=patient, kind=Kind.MONTH_TWO_LABS, **filters).order_by("pk")
    )


@pytest.fixture(autouse=True)
def consents(male_patient):
    Patient.objects.filter(pk=male_patient.pk).update(
        reminder_consent=True, reminder_channel=Patient.ReminderChannel.EMAIL
    )
    male_patient.refresh_from_db()


@pytest.fixture
def course(male_patient, start_course):
    with at(START):
        return start_course(male_patient, start_date=START)


def test_the_first_visit_writes_one_reminder_on_day_43_to_come_by_day_57(
    male_patient, course, nurse
):
    with at(START):
        visit(male_patient, nurse, START, **LABS)  # baseline labs do not count as month 2
    [reminder] = labs_reminders(male_patient)
    assert reminder.status == Status.SCHEDULED
    assert reminder.due_date == DAY_43
    assert timezone.localtime(reminder.due_at).time() == datetime.time(8, 0)
    assert reminder.subject_key == f"course:{course.pk}"
    assert reminder.recipient == male_patient.email
    assert reminder.context == {"come_by_on": DAY_57.isoformat()}


def test_a_second_visit_before_day_43_keeps_the_one_reminder(male_patient, course, nurse):
    with at(START):
        visit(male_patient, nurse, START)
    with at(START + 28 * DAY):
        visit(male_patient, nurse, START + 28 * DAY)
    assert [r.due_date for r in labs_reminders(male_patient)] == [DAY_43]


def test_labs_drawn_from_day_43_cancel_the_open_reminder(male_patient, course, nurse):
    with at(START):
        visit(male_patient, nurse, START)
    with at(DAY_43, hour=7):  # before the 08:00 send
        visit(male_patient, nurse, DAY_43, **LABS)
    [reminder] = labs_reminders(male_patient)
    assert reminder.status == Status.CANCELLED
    assert "labs were drawn" in reminder.last_error


def test_labs_drawn_before_day_43_are_not_the_month_two_labs(male_patient, course, nurse):
    with at(START):
        visit(male_patient, nurse, START)
    with at(DAY_43 - DAY):
        visit(male_patient, nurse, DAY_43 - DAY, **LABS)
    [reminder] = labs_reminders(male_patient)
    assert (reminder.status, reminder.due_date) == (Status.SCHEDULED, DAY_43)


def test_the_course_ending_cancels_the_open_reminder(male_patient, course, nurse, prescriber):
    with at(START):
        visit(male_patient, nurse, START)
    with at(START + 20 * DAY):
        dosing.end_course(
            course,
            by=prescriber,
            status=TreatmentCourse.Status.DISCONTINUED,
            reason="Stopped.",
            end_date=START + 20 * DAY,
        )
    [reminder] = labs_reminders(male_patient)
    assert reminder.status == Status.CANCELLED


def test_a_withdrawal_cancels_the_open_reminder(male_patient, course, nurse, prescriber):
    with at(START):
        visit(male_patient, nurse, START)
    with at(START + 20 * DAY):
        registry_services.change_status(
            male_patient, Patient.Status.WITHDRAWN, "Moved away.", by=prescriber
        )
    assert [r.status for r in labs_reminders(male_patient)] == [Status.CANCELLED]


def test_a_course_entered_after_day_43_gets_the_reminder_today_and_only_once(
    male_patient, start_course, nurse
):
    late = START + 50 * DAY
    with at(late):
        start_course(male_patient, start_date=START)
        visit(male_patient, nurse, late)
    [reminder] = labs_reminders(male_patient)
    assert reminder.due_date == late
    assert reminder.context == {"come_by_on": DAY_57.isoformat()}
    with at(late, hour=9):
        assert send_due_reminders().sent == 1
    with at(late + 7 * DAY):
        visit(male_patient, nurse, late + 7 * DAY)
    assert [(r.due_date, r.status) for r in labs_reminders(male_patient)] == [(late, Status.SENT)]


def test_a_course_past_day_57_is_asked_to_come_by_the_reminder_day(
    male_patient, start_course, nurse
):
    late = START + 70 * DAY
    with at(late):
        start_course(male_patient, start_date=START)
        visit(male_patient, nurse, late)
    [reminder] = labs_reminders(male_patient)
    assert reminder.context == {"come_by_on": late.isoformat()}


def test_labs_on_file_when_due_are_checked_again_and_skipped(male_patient, course, nurse):
    with at(START):
        visit(male_patient, nurse, START)
    [reminder] = labs_reminders(male_patient)
    assert skip_reason(reminder) == ""
    # Labs entered by a path that sends no signal (an import, the demo data).
    TreatmentCourse.objects.filter(pk=course.pk).update(month_two_labs_on=DAY_43)
    assert skip_reason(reminder) == LABS_DRAWN
    TreatmentCourse.objects.filter(pk=course.pk).update(
        month_two_labs_on=None, status=TreatmentCourse.Status.DISCONTINUED
    )
    assert skip_reason(reminder) == COURSE_NOT_ACTIVE


def test_the_message_names_the_day_and_no_health_details(male_patient, course, nurse):
    with at(START):
        visit(male_patient, nurse, START)
    [reminder] = labs_reminders(male_patient)
    message = build_message(reminder)
    html = message.alternatives[0][0]
    assert message.subject == "Reminder: a check-up appointment is due by Monday 26 April"
    assert "due by Monday 26 April 2027" in message.body
    assert f"Hello {male_patient.first_name}," in message.body
    assert "<strong>Monday 26 April 2027</strong>" in html
    assert_no_health_details(message.subject, message.body, html)
