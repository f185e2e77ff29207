"""Booking the next follow-up from the visit form (issue 19, point 1): the free slots of the
follow-up day (the patient's prescriber's first), saved with the visit in one transaction; a
refused booking (full, begun, the patient already booked then) or a tampered slot is a message
next to the field and nothing is saved; without a slot the form works as before. The slots
follow the day as it is typed (an htmx fragment), and a visit marks that day's appointment
attended."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment, Visit
from clinic.reminders.models import Reminder
from dosing.models import RefusedAction
from tests.factories import PatientFactory, UserFactory

LONDON = timezone.get_default_timezone()
TODAY = timezone.localdate()
FOLLOW_UP = TODAY + datetime.timedelta(days=28)  # the form's own suggestion
FIELD = "follow_up_slot"


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def key(session, moment):
    return f"{session.pk}@{moment.isoformat()}"


def a_session(prescriber, day=FOLLOW_UP, starts=(9, 0), ends=(10, 0), capacity=1):
    return book.create_session(
        prescriber=prescriber,
        day=day,
        starts=datetime.time(*starts),
        ends=datetime.time(*ends),
        slot_minutes=30,
        capacity=capacity,
        by=prescriber,
    )


def visit_data(**overrides):
    data = {
        "visit_date": TODAY.isoformat(),
        "weight_kg": "70",
        "nodule_count": "10",
        "phq2_interest": "0",
        "phq2_mood": "0",
        "triglycerides_unit": "mg/dL",
        "cholesterol_unit": "mg/dL",
        "next_follow_up": FOLLOW_UP.isoformat(),
    }
    data.update(overrides)
    return data


def offered(form):
    """The slot keys the menu offers, group by group: [(group label, [keys])]."""
    return [
        (group, [value for value, _label in options])
        for group, options in form.fields[FIELD].widget.choices
        if isinstance(options, list | tuple)
    ]


@pytest.fixture
def other_prescriber(db):
    return UserFactory(
        username="dr.banda", first_name="Ruth", last_name="Banda", roles=[Role.PRESCRIBER]
    )


@pytest.fixture
def own(prescriber):
    prescriber.first_name, prescriber.last_name = "Ada", "Okafor"
    prescriber.save()
    return a_session(prescriber, starts=(14, 0), ends=(15, 0))


@pytest.fixture
def visit_url(male_patient):
    return reverse("staff:visit-new", args=[male_patient.pk])


def post(client, user, url, **overrides):
    client.force_login(user)
    return client.post(url, visit_data(**overrides))


def test_the_form_offers_the_follow_up_day_s_free_slots_own_prescriber_first(
    client, nurse, own, other_prescriber, male_patient, visit_url
):
    theirs = a_session(other_prescriber, starts=(8, 0), ends=(9, 0))
    a_session(other_prescriber, day=FOLLOW_UP + datetime.timedelta(days=1))  # not that day
    book.book(PatientFactory(prescriber=own.prescriber), own, at(FOLLOW_UP, 14), by=nurse)
    client.force_login(nurse)
    response = client.get(visit_url)
    assert response.status_code == 200
    form = response.context["form"]
    assert offered(form) == [
        ("With Ada Okafor, the patient's prescriber", [key(own, at(FOLLOW_UP, 14, 30))]),
        ("Other prescribers", [key(theirs, at(FOLLOW_UP, 8)), key(theirs, at(FOLLOW_UP, 8, 30))]),
    ]
    assert form.fields[FIELD].widget.choices[0] == ("", "No appointment")
    page = response.content.decode()
    assert "14:30 with Ada Okafor (1 place free)" in page
    slots_url = reverse("staff:visit-follow-up-slots", args=[male_patient.pk])
    assert f'data-hx-get="{slots_url}"' in page


def test_a_day_without_a_free_slot_says_so(client, nurse, visit_url):
    client.force_login(nurse)
    page = client.get(visit_url).content.decode()
    assert f"No free slot on {FOLLOW_UP:%A} {FOLLOW_UP.day} {FOLLOW_UP:%B %Y}" in page
    assert f'name="{FIELD}"' not in page


def test_saving_the_visit_with_a_slot_books_it(client, nurse, own, male_patient, visit_url):
    response = post(client, nurse, visit_url, follow_up_slot=key(own, at(FOLLOW_UP, 14, 30)))
    assert response.status_code == 302
    visit = Visit.objects.get(patient=male_patient)
    appointment = Appointment.objects.get(patient=male_patient)
    assert (appointment.session, appointment.starts_at) == (own, at(FOLLOW_UP, 14, 30))
    assert (appointment.booked_by, appointment.status) == (nurse, Appointment.Status.BOOKED)
    assert visit.next_follow_up == FOLLOW_UP
    assert Reminder.objects.filter(subject_key=f"appointment:{appointment.pk}").count() == 2
    shown = [str(m) for m in response.wsgi_request._messages]
    assert (
        f"Booked the follow-up on {FOLLOW_UP:%A} {FOLLOW_UP.day} {FOLLOW_UP:%B %Y} at 14:30."
        in (shown)
    )


def test_without_a_slot_the_visit_is_saved_as_before(client, nurse, own, male_patient, visit_url):
    response = post(client, nurse, visit_url, follow_up_slot="")
    assert response.status_code == 302
    assert Visit.objects.filter(patient=male_patient).count() == 1
    assert not Appointment.objects.exists()


def test_a_full_slot_is_refused_next_to_the_field_and_nothing_is_saved(
    client, nurse, own, male_patient, visit_url
):
    client.force_login(nurse)
    client.get(visit_url)
    book.book(PatientFactory(prescriber=own.prescriber), own, at(FOLLOW_UP, 14), by=nurse)
    response = post(client, nurse, visit_url, follow_up_slot=key(own, at(FOLLOW_UP, 14)))
    assert response.status_code == 200
    assert response.context["form"].errors == {FIELD: [str(book.FULL)]}
    assert "Nothing was saved" in response.content.decode()
    assert not Visit.objects.exists()
    assert not Appointment.objects.filter(patient=male_patient).exists()
    assert not Reminder.objects.filter(patient=male_patient).exists()
    # A booking refused is the book's answer, not a clinical refusal: no refused action.
    assert not RefusedAction.objects.exists()


def test_a_double_booking_is_refused_and_nothing_is_saved(
    client, nurse, own, other_prescriber, male_patient, visit_url
):
    """The patient is already booked at that moment, in another prescriber's clinic."""
    theirs = a_session(other_prescriber, starts=(14, 0), ends=(15, 0), capacity=3)
    book.book(male_patient, theirs, at(FOLLOW_UP, 14), by=nurse)
    response = post(client, nurse, visit_url, follow_up_slot=key(own, at(FOLLOW_UP, 14)))
    assert response.context["form"].errors == {FIELD: [str(book.TWICE)]}
    assert not Visit.objects.exists()
    assert Appointment.objects.filter(patient=male_patient).count() == 1


def test_the_same_form_posted_twice_books_once(client, nurse, own, male_patient, visit_url):
    """A double click: the second post is refused at the booking, and its visit not saved."""
    data = {"follow_up_slot": key(own, at(FOLLOW_UP, 14, 30))}
    assert post(client, nurse, visit_url, **data).status_code == 302
    second = post(client, nurse, visit_url, **data)
    assert second.context["form"].errors == {FIELD: [str(book.TWICE)]}
    assert Visit.objects.filter(patient=male_patient).count() == 1
    assert Appointment.objects.filter(patient=male_patient).count() == 1


def test_a_slot_already_begun_is_refused(client, nurse, prescriber, male_patient, visit_url):
    yesterday = TODAY - datetime.timedelta(days=1)
    begun = a_session(prescriber, day=TODAY, starts=(0, 0), ends=(0, 30))
    response = post(
        client,
        nurse,
        visit_url,
        visit_date=yesterday.isoformat(),
        next_follow_up=TODAY.isoformat(),
        follow_up_slot=key(begun, at(TODAY, 0)),
    )
    assert response.context["form"].errors == {FIELD: [str(book.PAST)]}
    assert not Visit.objects.exists()


TAMPERED = {
    "garbage": ("nonsense", "That slot does not exist; choose one from the list."),
    "no such session": (
        "999999@{day}T14:00:00+00:00",
        "That slot does not exist; choose one from the list.",
    ),
    "naive time": ("{pk}@{day}T14:00:00", "That slot does not exist; choose one from the list."),
    "no time": ("{pk}@", "That slot does not exist; choose one from the list."),
    "not a number": (
        "x@{day}T14:00:00+00:00",
        "That slot does not exist; choose one from the list.",
    ),
    "another day": (
        "{other}@{other_day}T09:00:00+00:00",
        "That slot is not on the next follow-up day; choose one from the list.",
    ),
    "not a slot": ("{pk}@{day}T14:10:00+01:00", str(book.OUTSIDE)),
    "huge number": (
        "9" * 30 + "@{day}T14:00:00+00:00",
        "That slot does not exist; choose one from the list.",
    ),
}


@pytest.mark.parametrize(("value", "message"), TAMPERED.values(), ids=TAMPERED)
def test_a_tampered_slot_is_refused_next_to_the_field(
    client, nurse, own, male_patient, visit_url, value, message
):
    other_day = FOLLOW_UP + datetime.timedelta(days=2)
    other = a_session(own.prescriber, day=other_day)
    value = value.format(pk=own.pk, day=FOLLOW_UP, other=other.pk, other_day=other_day)
    response = post(client, nurse, visit_url, follow_up_slot=value)
    assert response.status_code == 200
    assert response.context["form"].errors == {FIELD: [message]}
    assert not Visit.objects.exists()
    assert not Appointment.objects.exists()
    # A form refused by its own checks is a refused action, like any other (clinic/staff/refusals).
    assert RefusedAction.objects.filter(patient=male_patient).count() == 1


def test_the_slots_follow_the_day_as_it_is_typed(client, nurse, own, male_patient):
    url = reverse("staff:visit-follow-up-slots", args=[male_patient.pk])
    client.force_login(nurse)
    response = client.get(url, {"next_follow_up": FOLLOW_UP.isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="follow-up-slots"')
    assert key(own, at(FOLLOW_UP, 14, 30)) in page
    empty_day = FOLLOW_UP + datetime.timedelta(days=3)
    page = client.get(url, {"next_follow_up": empty_day.isoformat()}).content.decode()
    assert f"No free slot on {empty_day:%A} {empty_day.day} {empty_day:%B %Y}" in page


@pytest.mark.parametrize("value", ["", "tomorrow", "2026-02-30", "9" * 40, "<script>"])
def test_a_bad_day_for_the_slots_is_a_message(client, nurse, male_patient, value):
    client.force_login(nurse)
    url = reverse("staff:visit-follow-up-slots", args=[male_patient.pk])
    response = client.get(url, {"next_follow_up": value})
    assert response.status_code == 200
    assert "Give the next follow-up day to see its free slots." in response.content.decode()


def test_the_slots_fragment_is_for_staff_only(client, pharmacist, patient, male_patient):
    url = reverse("staff:visit-follow-up-slots", args=[male_patient.pk])
    for user in (pharmacist, patient):
        client.force_login(user)
        assert client.get(url, {"next_follow_up": FOLLOW_UP.isoformat()}).status_code == 404


def test_a_visit_marks_that_day_s_appointment_attended(client, nurse, prescriber, male_patient):
    session = a_session(prescriber, day=TODAY, starts=(23, 0), ends=(23, 30))
    midnight = at(TODAY, 0)
    appointment = book.book(male_patient, session, at(TODAY, 23), by=nurse, now=midnight)
    response = post(client, nurse, reverse("staff:visit-new", args=[male_patient.pk]))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ATTENDED
    assert appointment.history.first().history_user == nurse
    shown = [str(m) for m in response.wsgi_request._messages]
    assert "Today's appointment is marked attended." in shown


def test_the_calendar_s_last_day_as_follow_up_is_no_error(client, nurse, male_patient, visit_url):
    client.force_login(nurse)
    url = reverse("staff:visit-follow-up-slots", args=[male_patient.pk])
    page = client.get(url, {"next_follow_up": "9999-12-31"}).content.decode()
    assert "No free slot on Friday 31 December 9999" in page
    response = post(client, nurse, visit_url, next_follow_up="9999-12-31")
    assert response.status_code == 302
    assert Visit.objects.get().next_follow_up == datetime.date(9999, 12, 31)
