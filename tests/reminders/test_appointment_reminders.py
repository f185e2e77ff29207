"""Appointment reminders (clinic/reminders/schedule.py, schedule_appointment_reminders): two
days before and on the morning, at 08:00 clinic time, written in the booking's transaction and
cancelled with the appointment; the message says the day and time only."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from clinic.monitoring import appointments as book
from clinic.reminders.models import Reminder
from clinic.reminders.sending import build_message
from tests.factories import PatientFactory
from tests.reminders.test_reminder_sending import assert_no_health_details

UTC = datetime.UTC
LONDON = timezone.get_default_timezone()
Kind, Status = Reminder.Kind, Reminder.Status


def session_on(prescriber, day, starts=datetime.time(9, 0)):
    return book.create_session(
        prescriber=prescriber,
        day=day,
        starts=starts,
        ends=datetime.time(12, 0),
        slot_minutes=30,
        capacity=2,
        by=prescriber,
    )


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def open_rows(appointment):
    return list(
        Reminder.objects.filter(
            subject_key=f"appointment:{appointment.pk}", status=Status.SCHEDULED
        ).order_by("due_at")
    )


@pytest.fixture
def someone(prescriber):
    return PatientFactory(prescriber=prescriber, first_name="Sam")


def test_two_days_before_and_the_morning_across_the_change_to_summer_time(
    prescriber, nurse, someone
):
    """London moves to BST on Sunday 28 March 2027: the reminder of Friday 26 March is at 08:00
    GMT (08:00 UTC), the one of Monday 29 March at 08:00 BST (07:00 UTC)."""
    day = datetime.date(2027, 3, 29)
    appointment = book.book(someone, session_on(prescriber, day), at(day, 10), by=nurse)
    rows = open_rows(appointment)
    assert [row.due_at for row in rows] == [
        datetime.datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
        datetime.datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
    ]
    assert [row.due_date for row in rows] == [datetime.date(2027, 3, 27), day]
    assert {row.kind for row in rows} == {Kind.APPOINTMENT}
    assert rows[0].context == {"appointment_on": "2027-03-29", "at": "10:00"}


def test_and_back_to_winter_time(prescriber, nurse, someone):
    """BST ends on Sunday 31 October 2027: Monday 1 November's reminder is at 08:00 UTC, the
    one of Saturday 30 October at 07:00 UTC."""
    day = datetime.date(2027, 11, 1)
    appointment = book.book(someone, session_on(prescriber, day), at(day, 9, 30), by=nurse)
    assert [row.due_at for row in open_rows(appointment)] == [
        datetime.datetime(2027, 10, 30, 7, 0, tzinfo=UTC),
        datetime.datetime(2027, 11, 1, 8, 0, tzinfo=UTC),
    ]


def test_an_appointment_before_eight_gets_no_morning_reminder(prescriber, nurse, someone):
    day = datetime.date(2027, 5, 10)
    session = session_on(prescriber, day, starts=datetime.time(7, 30))
    appointment = book.book(someone, session, at(day, 7, 30), by=nurse)
    assert [row.due_date for row in open_rows(appointment)] == [datetime.date(2027, 5, 8)]


def test_booked_tomorrow_only_the_morning_one(prescriber, nurse, someone):
    day = timezone.localdate() + datetime.timedelta(days=1)
    appointment = book.book(someone, session_on(prescriber, day), at(day, 11), by=nurse)
    assert [row.due_date for row in open_rows(appointment)] == [day]


def test_cancelling_cancels_the_open_reminders(prescriber, nurse, someone):
    day = datetime.date(2027, 5, 10)
    appointment = book.book(someone, session_on(prescriber, day), at(day, 10), by=nurse)
    book.cancel(appointment, by=nurse)
    assert open_rows(appointment) == []
    cancelled = Reminder.objects.filter(subject_key=f"appointment:{appointment.pk}")
    assert {row.status for row in cancelled} == {Status.CANCELLED}
    assert "cancelled or moved" in cancelled.first().last_error


def test_a_move_moves_the_reminders(prescriber, nurse, someone, patient):
    day = datetime.date(2027, 5, 10)
    session = session_on(prescriber, day)
    appointment = book.book(someone, session, at(day, 10), by=nurse)
    book.request_change(appointment, change="move", message="Later", by=patient)
    moved = book.approve(appointment, by=nurse, new_session=session, new_start=at(day, 11, 30))
    assert open_rows(appointment) == []
    assert [row.context["at"] for row in open_rows(moved)] == ["11:30", "11:30"]


def test_a_booking_rolled_back_leaves_no_reminder(prescriber, nurse, someone):
    day = datetime.date(2027, 5, 10)
    session = session_on(prescriber, day)

    @transaction.atomic
    def book_then_fail():
        book.book(someone, session, at(day, 10), by=nurse)
        raise RuntimeError("the page failed after booking")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert not Reminder.objects.filter(kind=Kind.APPOINTMENT).exists()


def test_the_message_gives_the_day_and_time_and_nothing_clinical(prescriber, nurse, someone):
    day = datetime.date(2027, 3, 2)  # a Tuesday
    appointment = book.book(someone, session_on(prescriber, day), at(day, 10), by=nurse)
    before, morning = open_rows(appointment)
    message = build_message(before)
    assert message.subject == "Reminder: your appointment at the clinic on Tuesday 2 March at 10:00"
    assert "You have an appointment at the clinic on Tuesday 2 March 2027 at 10:00." in message.body
    assert_no_health_details(message.subject, message.body, message.alternatives[0][0])
    assert build_message(morning).subject == (
        "Reminder: your appointment at the clinic is today at 10:00"
    )
