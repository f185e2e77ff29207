"""The portal's appointments page: the patient's own booked appointments, and a request to
cancel or move one that waits for the clinic. Another patient's appointment id answers 404
and changes nothing; a move without a message is refused next to the field."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment

LONDON = timezone.get_default_timezone()
DAY = timezone.localdate() + datetime.timedelta(days=5)


@pytest.fixture
def appointments(prescriber, nurse, patient, other_patient):
    session = book.create_session(
        prescriber=prescriber,
        day=DAY,
        starts=datetime.time(10, 0),
        ends=datetime.time(11, 0),
        slot_minutes=30,
        capacity=2,
        by=prescriber,
    )
    start = datetime.datetime.combine(DAY, datetime.time(10, 0), tzinfo=LONDON)
    return (
        book.book(patient.patient, session, start, by=nurse),
        book.book(other_patient.patient, session, start, by=nurse),
    )


URL = reverse("portal:appointments")


def test_the_patient_sees_their_own_appointment_only(client, patient, appointments):
    client.force_login(patient)
    response = client.get(URL)
    assert [a.pk for a, _form in response.context["rows"]] == [appointments[0].pk]
    assert f"{DAY:%A} {DAY.day} {DAY:%B %Y} at 10:00" in response.content.decode()


def test_asking_to_cancel_waits_for_the_clinic(client, patient, appointments):
    client.force_login(patient)
    own = appointments[0]
    response = client.post(URL, {"appointment": own.pk, "change": "cancel"}, follow=True)
    assert "Sent to the clinic" in response.content.decode()
    own.refresh_from_db()
    assert own.is_booked
    assert own.request_pending


def test_another_patients_appointment_is_404_and_unchanged(client, patient, appointments):
    client.force_login(patient)
    theirs = appointments[1]
    for pk in (theirs.pk, 10**9, "x"):
        response = client.post(URL, {"appointment": pk, "change": "cancel"})
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.request_status == Appointment.Request.NONE


def test_a_move_without_a_message_is_refused_next_to_the_field(client, patient, appointments):
    client.force_login(patient)
    own = appointments[0]
    response = client.post(URL, {"appointment": own.pk, "change": "move", "message": " "})
    assert response.status_code == 400
    [(_appointment, form)] = response.context["rows"]
    assert form.errors["message"] == [book.NO_MESSAGE]
    own.refresh_from_db()
    assert not own.request_pending


def test_the_next_visit_card_shows_a_booked_appointment_not_a_call_to_book(
    client, patient, appointments, build_course
):
    """A follow-up that did not take place, then an appointment booked by the clinic: the home
    page's "Next visit" is the appointment, with its time; it no longer asks to call."""
    from clinic.monitoring.models import Visit

    build_course(patient.patient, prescriptions=2, visits=1)
    Visit.objects.filter(patient=patient.patient).update(
        next_follow_up=timezone.localdate() - datetime.timedelta(days=3)
    )
    client.force_login(patient)
    html = client.get(reverse("portal:home")).content.decode()
    card = html.split('data-testid="next-visit"')[1].split("</section>")[0]
    assert f"{DAY:%A} {DAY.day} {DAY:%B} at 10:00" in card
    assert "Booked with the clinic." in card
    assert "call the clinic" not in card
