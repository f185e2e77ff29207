"""The appointment book's service (clinic/monitoring/appointments.py): booking refuses a full
slot, a time outside the session, a slot already begun, a withdrawn patient and the same patient
twice at one moment, each with its message; cancel, did-not-come, the patient's request and
the clinic's answer. Reminders follow in the same transaction (tests/reminders/)."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment, ClinicSession
from registry.models import Patient
from tests.factories import PatientFactory

LONDON = timezone.get_default_timezone()


def said(message) -> str:
    """A refusal's message as a pattern: the messages are lazy translations, and they hold
    regular-expression characters (a full stop, a colon)."""
    return re.escape(str(message))


def a_session(prescriber, *, day=None, starts=(9, 0), ends=(10, 0), minutes=20, capacity=1):
    return book.create_session(
        prescriber=prescriber,
        day=day or timezone.localdate() + datetime.timedelta(days=7),
        starts=datetime.time(*starts),
        ends=datetime.time(*ends),
        slot_minutes=minutes,
        capacity=capacity,
        by=prescriber,
    )


def at(session, hour, minute=0):
    return datetime.datetime.combine(session.day, datetime.time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def people(prescriber, nurse):
    return PatientFactory(prescriber=prescriber), PatientFactory(prescriber=prescriber)


def test_a_session_is_cut_into_slots_that_end_by_its_end(prescriber):
    session = a_session(prescriber, starts=(9, 0), ends=(10, 10), minutes=20)
    assert [timezone.localtime(s).strftime("%H:%M") for s in session.slot_starts()] == [
        "09:00",
        "09:20",
        "09:40",
    ]


def test_booking_writes_the_appointment_with_who_booked_it(prescriber, nurse, people):
    session = a_session(prescriber)
    appointment = book.book(people[0], session, at(session, 9, 20), by=nurse)
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.history.first().history_user == nurse


def test_a_full_slot_is_refused_with_a_message(prescriber, nurse, people):
    session = a_session(prescriber, capacity=1)
    book.book(people[0], session, at(session, 9), by=nurse)
    with pytest.raises(book.AppointmentRefused, match="This slot is full"):
        book.book(people[1], session, at(session, 9), by=nurse)
    assert Appointment.objects.count() == 1


def test_a_slot_takes_as_many_as_its_capacity(prescriber, nurse, people):
    session = a_session(prescriber, capacity=2)
    for patient in people:
        book.book(patient, session, at(session, 9), by=nurse)
    third = PatientFactory(prescriber=prescriber)
    with pytest.raises(book.AppointmentRefused, match=said(book.FULL)):
        book.book(third, session, at(session, 9), by=nurse)


def test_a_cancelled_place_is_free_again(prescriber, nurse, people):
    session = a_session(prescriber)
    first = book.book(people[0], session, at(session, 9), by=nurse)
    book.cancel(first, by=nurse)
    assert book.book(people[1], session, at(session, 9), by=nurse).is_booked


@pytest.mark.parametrize(
    ("hour", "minute"), [(9, 10), (10, 0), (8, 40)], ids=["between slots", "at the end", "before"]
)
def test_a_time_that_is_not_a_slot_is_refused(prescriber, nurse, people, hour, minute):
    session = a_session(prescriber)
    with pytest.raises(book.AppointmentRefused, match=said(book.OUTSIDE)):
        book.book(people[0], session, at(session, hour, minute), by=nurse)


def test_a_slot_already_begun_is_refused(prescriber, nurse, people):
    session = a_session(prescriber, day=timezone.localdate())
    with pytest.raises(book.AppointmentRefused, match=said(book.PAST)):
        book.book(people[0], session, at(session, 9), by=nurse, now=at(session, 9, 5))


def test_a_withdrawn_patient_is_refused(prescriber, nurse, people):
    Patient.objects.filter(pk=people[0].pk).update(status=Patient.Status.WITHDRAWN)
    people[0].refresh_from_db()
    session = a_session(prescriber)
    with pytest.raises(book.AppointmentRefused, match=said(book.WITHDRAWN)):
        book.book(people[0], session, at(session, 9), by=nurse)


def test_the_same_patient_twice_at_one_moment_is_refused(prescriber, nurse, people):
    one, other = a_session(prescriber, capacity=3), a_session(prescriber, capacity=3)
    book.book(people[0], one, at(one, 9), by=nurse)
    with pytest.raises(book.AppointmentRefused, match=said(book.TWICE)):
        book.book(people[0], one, at(one, 9), by=nurse)
    with pytest.raises(
        book.AppointmentRefused, match=said(book.TWICE)
    ):  # another prescriber's clinic
        book.book(people[0], other, at(other, 9), by=nurse)


def test_no_show_only_once_begun_and_only_for_a_booked_one(prescriber, nurse, people):
    session = a_session(prescriber)
    appointment = book.book(people[0], session, at(session, 9), by=nurse)
    with pytest.raises(book.AppointmentRefused, match="has not begun"):
        book.mark_no_show(appointment, by=nurse)
    book.cancel(appointment, by=nurse)
    with pytest.raises(book.AppointmentRefused, match="this one is cancelled"):
        book.cancel(appointment, by=nurse)


def test_a_request_to_cancel_waits_until_the_clinic_approves(prescriber, nurse, people, patient):
    session = a_session(prescriber)
    appointment = book.book(people[0], session, at(session, 9), by=nurse)
    asked = book.request_change(appointment, change="cancel", message="", by=patient)
    assert asked.is_booked
    assert asked.request_pending
    with pytest.raises(book.AppointmentRefused, match=said(book.REQUEST_WAITING)):
        book.request_change(appointment, change="cancel", message="", by=patient)
    done = book.approve(appointment, by=nurse)
    assert done.status == Appointment.Status.CANCELLED
    assert done.request_status == Appointment.Request.APPROVED


def test_a_move_needs_a_message_and_the_new_slot(prescriber, nurse, people, patient):
    session = a_session(prescriber)
    appointment = book.book(people[0], session, at(session, 9), by=nurse)
    with pytest.raises(book.AppointmentRefused, match=said(book.NO_MESSAGE)):
        book.request_change(appointment, change="move", message="  ", by=patient)
    book.request_change(appointment, change="move", message="Afternoons please", by=patient)
    with pytest.raises(book.AppointmentRefused, match="Choose the new time"):
        book.approve(appointment, by=nurse)
    moved = book.approve(appointment, by=nurse, new_session=session, new_start=at(session, 9, 40))
    old = Appointment.objects.get(pk=appointment.pk)
    assert (old.status, old.moved_to) == (Appointment.Status.CANCELLED, moved)
    assert moved.is_booked
    assert moved.starts_at == at(session, 9, 40)


def test_a_move_into_a_full_slot_is_refused_and_nothing_changes(prescriber, nurse, people, patient):
    session = a_session(prescriber)
    appointment = book.book(people[0], session, at(session, 9), by=nurse)
    book.book(people[1], session, at(session, 9, 20), by=nurse)
    book.request_change(appointment, change="move", message="Later", by=patient)
    with pytest.raises(book.AppointmentRefused, match=said(book.FULL)):
        book.approve(appointment, by=nurse, new_session=session, new_start=at(session, 9, 20))
    appointment.refresh_from_db()
    assert appointment.is_booked
    assert appointment.request_pending


def test_a_declined_request_leaves_the_appointment(prescriber, nurse, people, patient):
    session = a_session(prescriber)
    appointment = book.book(people[0], session, at(session, 9), by=nurse)
    book.request_change(appointment, change="cancel", message="", by=patient)
    declined = book.decline(appointment, by=nurse)
    assert declined.is_booked
    assert declined.request_status == Appointment.Request.DECLINED
    with pytest.raises(book.AppointmentRefused, match=said(book.NO_REQUEST)):
        book.decline(appointment, by=nurse)


def test_free_slots_leave_out_full_and_begun_ones(prescriber, nurse, people):
    session = a_session(prescriber)  # 09:00, 09:20, 09:40, one place each
    book.book(people[0], session, at(session, 9, 20), by=nurse)
    slots = book.free_slots(first_day=session.day, days=1, now=at(session, 9, 1))
    assert [s.starts_at for s in slots] == [at(session, 9, 40)]


@pytest.mark.django_db(transaction=True)
def test_two_nurses_booking_the_last_place_at_once_one_wins(prescriber, nurse):
    """Real transactions on two connections: PostgreSQL's row lock on the session (SQLite's
    immediate write lock) makes the second wait, count the first booking and refuse."""
    session = a_session(prescriber, capacity=1)
    patients = [PatientFactory(prescriber=prescriber) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(patient):
        try:
            barrier.wait(timeout=10)
            book.book(patient, session, at(session, 9), by=nurse)
            outcomes.append("booked")
        except book.AppointmentRefused as refusal:
            outcomes.append(str(refusal))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == sorted(["booked", book.FULL])
    assert ClinicSession.objects.get(pk=session.pk).appointments.count() == 1
    assert connection.vendor in {"postgresql", "sqlite"}
