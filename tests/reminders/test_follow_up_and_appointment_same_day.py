"""A follow-up visit and a booked appointment on the same day are one visit to the patient: the
appointment's reminders (with the time) replace the follow-up's "you have a visit" ones, which
come back if the appointment is cancelled or moved to another day. The test and confirmation
reminders of the follow-up are not touched: they say something the appointment's do not."""

from __future__ import annotations

import datetime

from clinic.monitoring import appointments as book
from clinic.reminders.models import Reminder
from tests.course_fixtures import TODAY
from tests.reminders.test_appointment_reminders import at, session_on
from tests.reminders.test_reminders import record_visit

Kind, Status = Reminder.Kind, Reminder.Status
FOLLOW_UP = TODAY + datetime.timedelta(days=10)


def open_kinds(patient) -> list[tuple[str, datetime.date]]:
    return sorted(
        Reminder.objects.filter(patient=patient, status=Status.SCHEDULED).values_list(
            "kind", "due_date"
        )
    )


def visit_rows(patient, status):
    return Reminder.objects.filter(patient=patient, kind=Kind.FOLLOW_UP_VISIT, status=status)


def test_an_appointment_on_the_follow_up_day_replaces_the_visit_reminders(
    male_patient, nurse, prescriber
):
    record_visit(male_patient, nurse, on=TODAY, follow_up=FOLLOW_UP)
    assert visit_rows(male_patient, Status.SCHEDULED).count() == 2
    book.book(male_patient, session_on(prescriber, FOLLOW_UP), at(FOLLOW_UP, 9), by=nurse)
    assert open_kinds(male_patient) == [
        (Kind.APPOINTMENT, FOLLOW_UP - datetime.timedelta(days=2)),
        (Kind.APPOINTMENT, FOLLOW_UP),
    ]
    cancelled = visit_rows(male_patient, Status.CANCELLED)
    assert cancelled.count() == 2
    assert {row.last_error for row in cancelled} == {
        "Cancelled: an appointment booked that day has its own reminders."
    }


def test_cancelling_the_appointment_brings_the_visit_reminders_back(
    male_patient, nurse, prescriber
):
    record_visit(male_patient, nurse, on=TODAY, follow_up=FOLLOW_UP)
    appointment = book.book(
        male_patient, session_on(prescriber, FOLLOW_UP), at(FOLLOW_UP, 9), by=nurse
    )
    book.cancel(appointment, by=nurse)
    assert open_kinds(male_patient) == [
        (Kind.FOLLOW_UP_VISIT, FOLLOW_UP - datetime.timedelta(days=3)),
        (Kind.FOLLOW_UP_VISIT, FOLLOW_UP),
    ]


def test_an_appointment_on_another_day_leaves_the_visit_reminders(male_patient, nurse, prescriber):
    record_visit(male_patient, nurse, on=TODAY, follow_up=FOLLOW_UP)
    other = FOLLOW_UP + datetime.timedelta(days=1)
    book.book(male_patient, session_on(prescriber, other), at(other, 9), by=nurse)
    assert visit_rows(male_patient, Status.SCHEDULED).count() == 2
    assert visit_rows(male_patient, Status.CANCELLED).count() == 0


def test_a_visit_recorded_after_the_booking_writes_no_visit_reminder_that_day(
    male_patient, nurse, prescriber
):
    book.book(male_patient, session_on(prescriber, FOLLOW_UP), at(FOLLOW_UP, 9), by=nurse)
    record_visit(male_patient, nurse, on=TODAY, follow_up=FOLLOW_UP)
    assert not visit_rows(male_patient, Status.SCHEDULED).exists()
