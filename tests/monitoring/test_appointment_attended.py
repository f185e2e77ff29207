"""The appointment book's later rules (clinic/monitoring/appointments.py): "attended" (from its
day on, only for a booked appointment, recorded in the history; the place stays taken), a visit
marking that day's appointments attended, the free slots of one follow-up day with the patient's
own prescriber first, and the refusals' messages marked for translation with their English kept
word for word (the pseudo-language of tests/i18n/pseudo.py, in English: whatever the Spanish
catalogue says, the wrapped text is the English one)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django.utils.functional import Promise

from clinic.accounts.roles import Role
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment
from tests.factories import PatientFactory, UserFactory
from tests.i18n.pseudo import CLOSE, OPEN, marked_translations
from tests.monitoring.test_appointments import a_session, at, said

TODAY = timezone.localdate()
MIDNIGHT = datetime.datetime.combine(
    TODAY, datetime.time(0, 0), tzinfo=timezone.get_default_timezone()
)


@pytest.fixture
def alex(prescriber):
    return PatientFactory(prescriber=prescriber)


def booked_today(patient, session, hour, *, by):
    """A booking made at midnight for a slot later today (book() refuses a slot begun)."""
    return book.book(patient, session, at(session, hour), by=by, now=MIDNIGHT)


def test_attended_from_its_day_on_with_who_and_why_in_the_history(prescriber, nurse, alex):
    today = a_session(prescriber, day=TODAY, starts=(23, 0), ends=(23, 40))
    appointment = booked_today(alex, today, 23, by=nurse)
    done = book.mark_attended(appointment, by=nurse)
    assert done.status == Appointment.Status.ATTENDED
    last = done.history.first()
    assert (last.history_user, last.history_change_reason) == (nurse, "Attended")
    with pytest.raises(book.AppointmentRefused, match="this one is attended"):
        book.mark_attended(appointment, by=nurse)


def test_an_appointment_on_a_later_day_cannot_be_marked_attended(prescriber, nurse, alex):
    later = a_session(prescriber)  # next week
    appointment = book.book(alex, later, at(later, 9), by=nurse)
    with pytest.raises(book.AppointmentRefused, match=said(book.NOT_YET_DAY)):
        book.mark_attended(appointment, by=nurse)
    appointment.refresh_from_db()
    assert appointment.is_booked


def test_a_cancelled_or_missed_appointment_cannot_be_marked_attended(prescriber, nurse, alex):
    session = a_session(prescriber)
    appointment = book.book(alex, session, at(session, 9), by=nurse)
    book.cancel(appointment, by=nurse)
    with pytest.raises(book.AppointmentRefused, match="this one is cancelled"):
        book.mark_attended(appointment, by=nurse, today=session.day)


def test_an_attended_place_stays_taken(prescriber, nurse, alex):
    """Marked attended before the slot begins (the patient came early): the place is still
    theirs, so neither the book nor the free slots give it to someone else."""
    today = a_session(prescriber, day=TODAY, starts=(23, 0), ends=(23, 40), capacity=1)
    book.mark_attended(booked_today(alex, today, 23, by=nurse), by=nurse)
    with pytest.raises(book.AppointmentRefused, match=said(book.FULL)):
        booked_today(PatientFactory(prescriber=prescriber), today, 23, by=nurse)
    with pytest.raises(book.AppointmentRefused, match=said(book.TWICE)):
        booked_today(
            alex, a_session(prescriber, day=TODAY, starts=(23, 0), ends=(23, 40)), 23, by=nurse
        )
    free = book.free_slots(first_day=TODAY, days=1, now=MIDNIGHT)
    assert at(today, 23) not in [slot.starts_at for slot in free if slot.session == today]


def test_a_visit_marks_that_day_s_booked_appointments_of_the_patient_attended(
    prescriber, nurse, alex
):
    today = a_session(prescriber, day=TODAY, starts=(23, 0), ends=(23, 40), capacity=3)
    tomorrow = a_session(prescriber, day=TODAY + datetime.timedelta(days=1))
    mine = booked_today(alex, today, 23, by=nurse)
    cancelled = book.book(alex, today, at(today, 23, 20), by=nurse, now=MIDNIGHT)
    book.cancel(cancelled, by=nurse)
    someone_else = booked_today(PatientFactory(prescriber=prescriber), today, 23, by=nurse)
    next_day = book.book(alex, tomorrow, at(tomorrow, 9), by=nurse)
    marked = book.attended_at_visit(alex, TODAY, by=nurse)
    assert [a.pk for a in marked] == [mine.pk]
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {
        mine.pk: "attended",
        cancelled.pk: "cancelled",
        someone_else.pk: "booked",
        next_day.pk: "booked",
    }
    last = Appointment.objects.get(pk=mine.pk).history.first()
    assert last.history_change_reason == "Attended: a visit was recorded that day"


def test_the_follow_up_day_s_free_slots_put_the_patient_s_prescriber_first(prescriber, nurse, alex):
    day = TODAY + datetime.timedelta(days=28)
    other = UserFactory(username="dr.other", roles=[Role.PRESCRIBER])
    early_other = a_session(other, day=day, starts=(8, 0), ends=(8, 40))
    own = a_session(prescriber, day=day, starts=(14, 0), ends=(14, 40))
    a_session(prescriber, day=day + datetime.timedelta(days=1))  # another day: not offered
    book.book(PatientFactory(prescriber=prescriber), own, at(own, 14), by=nurse)  # full
    mine, others = book.follow_up_slots(alex, day)
    assert [(s.session, s.starts_at) for s in mine] == [(own, at(own, 14, 20))]
    assert [(s.session, s.starts_at) for s in others] == [
        (early_other, at(early_other, 8)),
        (early_other, at(early_other, 8, 20)),
    ]


MESSAGES = {
    "FULL": "This slot is full: every place is booked. Choose another time.",
    "OUTSIDE": "That time is not a slot of this clinic session.",
    "PAST": "That slot has already started; choose a later one.",
    "WITHDRAWN": "This patient has withdrawn: no appointment can be booked.",
    "TWICE": "This patient already has an appointment at that time.",
    "NOT_BOOKED": "Only a booked appointment can be changed; this one is {status}.",
    "NO_REQUEST": "There is no request waiting for the clinic on this appointment.",
    "REQUEST_WAITING": "A request is already waiting for the clinic; it will answer it first.",
    "NO_MESSAGE": "Say which days or times would suit you.",
    "NOT_BEGUN": "An appointment that has not begun cannot be marked missed.",
    "CHOOSE_NEW_TIME": "Choose the new time before approving the move.",
    "NOT_YET_DAY": "An appointment on a later day cannot be marked attended.",
}


@pytest.mark.parametrize(("name", "english"), MESSAGES.items(), ids=MESSAGES)
def test_each_message_is_marked_for_translation_and_keeps_its_english(monkeypatch, name, english):
    message = getattr(book, name)
    assert isinstance(message, Promise)  # translated when shown, in the reader's language
    assert str(message) == english
    with marked_translations(monkeypatch, language="en-gb"):
        assert str(message) == f"{OPEN}{english}{CLOSE}"


def test_a_refusal_is_said_in_the_language_active_when_it_is_shown(
    monkeypatch, prescriber, nurse, alex
):
    session = a_session(prescriber)
    appointment = book.book(alex, session, at(session, 9), by=nurse)
    book.cancel(appointment, by=nurse)
    with marked_translations(monkeypatch, language="en-gb"):
        with pytest.raises(book.AppointmentRefused) as refused:
            book.cancel(appointment, by=nurse)
        said_now = str(refused.value)
        with pytest.raises(book.AppointmentRefused) as full:
            book.book(alex, session, at(session, 9, 10), by=nurse)
        outside = str(full.value)
    # The status inside the sentence is the model's label, marked too.
    assert said_now == (
        f"{OPEN}Only a booked appointment can be changed; this one is {OPEN}cancelled{CLOSE}."
        f"{CLOSE}"
    )
    assert outside == f"{OPEN}{MESSAGES['OUTSIDE']}{CLOSE}"


def test_the_history_says_the_patient_s_request_in_english_whatever_their_language(
    monkeypatch, prescriber, nurse, alex, patient
):
    session = a_session(prescriber)
    appointment = book.book(alex, session, at(session, 9), by=nurse)
    with marked_translations(monkeypatch, language="es"):
        book.request_change(appointment, change="move", message="Por la tarde", by=patient)
    reason = Appointment.objects.get(pk=appointment.pk).history.first().history_change_reason
    assert reason == "Patient asked: move to another time"
