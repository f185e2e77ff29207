"""The day view's later parts (docs/APPOINTMENTS.md): the "Attended" button (POST only, staff
only, from the appointment's day on, recorded in the history like "Did not come") and the
prescriber filter (?prescriber=, any other value shows every session, never an error page)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment
from tests.factories import PatientFactory, UserFactory

LONDON = timezone.get_default_timezone()
TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)
MIDNIGHT = datetime.datetime.combine(TODAY, datetime.time(0, 0), tzinfo=LONDON)


def a_session(prescriber, day=TODAY, starts=(23, 0), ends=(23, 40)):
    return book.create_session(
        prescriber=prescriber,
        day=day,
        starts=datetime.time(*starts),
        ends=datetime.time(*ends),
        slot_minutes=20,
        capacity=2,
        by=prescriber,
    )


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def alex(patient):
    return patient.patient


@pytest.fixture
def today_s(prescriber, nurse, alex):
    """Alex booked tonight at 23:00 (booked at midnight: a slot begun cannot be booked)."""
    session = a_session(prescriber)
    return book.book(alex, session, at(TODAY, 23), by=nurse, now=MIDNIGHT)


def day_url(day=TODAY, **more):
    query = "&".join(f"{k}={v}" for k, v in {"day": day.isoformat(), **more}.items())
    return f"{reverse('staff:appointments')}?{query}"


def test_staff_mark_today_s_appointment_attended_from_the_day_view(client, nurse, today_s):
    client.force_login(nurse)
    page = client.get(day_url()).content.decode()
    attended = reverse("staff:appointment-attended", args=[today_s.pk])
    assert f'action="{attended}"' in page
    response = client.post(attended, {"next": day_url()})
    assert response.url == day_url()
    today_s.refresh_from_db()
    assert today_s.status == Appointment.Status.ATTENDED
    last = today_s.history.first()
    assert (last.history_user, last.history_change_reason) == (nurse, "Attended")
    page = client.get(day_url()).content.decode()
    assert '<span class="badge text-bg-success">Attended</span>' in page
    assert f'action="{attended}"' not in page  # no button for what is done
    assert "Marked as attended." in page


def test_an_appointment_on_a_later_day_has_no_button_and_a_post_is_refused(
    client, nurse, prescriber, alex
):
    later = a_session(prescriber, day=NEXT_WEEK, starts=(9, 0), ends=(10, 0))
    appointment = book.book(alex, later, at(NEXT_WEEK, 9), by=nurse)
    client.force_login(nurse)
    url = reverse("staff:appointment-attended", args=[appointment.pk])
    assert f'action="{url}"' not in client.get(day_url(NEXT_WEEK)).content.decode()
    response = client.post(url, follow=True)
    assert str(book.NOT_YET_DAY) in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.is_booked


def test_attended_is_post_only_for_staff(client, nurse, prescriber, today_s):
    url = reverse("staff:appointment-attended", args=[today_s.pk])
    for user in (nurse, prescriber):
        client.force_login(user)
        assert client.get(url).status_code == 405
    today_s.refresh_from_db()
    assert today_s.is_booked


@pytest.mark.parametrize("role", ["patient", "pharmacist", "registry_admin"])
def test_attended_is_404_for_everyone_else_and_changes_nothing(client, personas, today_s, role):
    url = reverse("staff:appointment-attended", args=[today_s.pk])
    client.force_login(personas[role])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    today_s.refresh_from_db()
    assert today_s.is_booked


def test_attended_for_an_appointment_that_does_not_exist_is_404(client, nurse):
    client.force_login(nurse)
    assert client.post(reverse("staff:appointment-attended", args=[10**9])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, today_s):
    response = client.post(reverse("staff:appointment-attended", args=[today_s.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.fixture
def two_clinics(prescriber, nurse):
    prescriber.first_name, prescriber.last_name = "Ada", "Okafor"
    prescriber.save()
    other = UserFactory(
        username="dr.banda", first_name="Ruth", last_name="Banda", roles=[Role.PRESCRIBER]
    )
    mine = a_session(prescriber, day=NEXT_WEEK, starts=(9, 0), ends=(10, 0))
    theirs = a_session(other, day=NEXT_WEEK, starts=(14, 0), ends=(15, 0))
    book.book(PatientFactory(prescriber=other), theirs, at(NEXT_WEEK, 14), by=nurse)
    return mine, theirs


def shown(response):
    return [row["session"] for row in response.context["sessions"]]


def test_the_day_view_shows_one_prescriber_s_sessions(client, nurse, two_clinics):
    mine, theirs = two_clinics
    client.force_login(nurse)
    response = client.get(day_url(NEXT_WEEK, prescriber=theirs.prescriber.pk))
    assert response.status_code == 200
    assert shown(response) == [theirs]
    page = response.content.decode()
    assert f'<option value="{theirs.prescriber.pk}" selected>Ruth Banda</option>' in page
    # The day's neighbours keep the choice; a new session is for that prescriber by default.
    previous = (NEXT_WEEK - datetime.timedelta(days=1)).isoformat()
    assert f'href="?day={previous}&amp;prescriber={theirs.prescriber.pk}"' in page
    assert response.context["session_form"].initial["prescriber"] == theirs.prescriber.pk
    everyone = client.get(day_url(NEXT_WEEK))
    assert shown(everyone) == [mine, theirs]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "-1",
        "0",
        "1.5",
        "9" * 30,
        "1e3",
        "%00",
        "' OR 1=1 --",
        "{nurse}",  # a user, but not a prescriber
    ],
)
def test_an_unknown_or_tampered_prescriber_shows_everyone_without_an_error(
    client, nurse, two_clinics, value
):
    client.force_login(nurse)
    response = client.get(
        reverse("staff:appointments"),
        {"day": NEXT_WEEK.isoformat(), "prescriber": value.format(nurse=nurse.pk)},
    )
    assert response.status_code == 200
    assert shown(response) == list(two_clinics)
    assert response.context["prescriber"] is None
    assert "alert-danger" not in response.content.decode()


def test_two_prescriber_values_show_everyone(client, nurse, two_clinics):
    mine, theirs = two_clinics
    client.force_login(nurse)
    url = day_url(NEXT_WEEK) + f"&prescriber={mine.prescriber.pk}&prescriber={theirs.prescriber.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert shown(response) == [mine, theirs]


def test_a_bad_day_with_a_prescriber_keeps_the_prescriber(client, nurse, two_clinics):
    mine, _theirs = two_clinics
    client.force_login(nurse)
    response = client.get(
        reverse("staff:appointments"), {"day": "nonsense", "prescriber": mine.prescriber.pk}
    )
    assert response.status_code == 200
    assert response.context["day"] == TODAY
    assert response.context["prescriber"] == mine.prescriber


@pytest.mark.parametrize(
    ("value", "missing"), [("0001-01-01", "Previous day"), ("9999-12-31", "Next day")]
)
def test_the_calendar_s_ends_have_no_day_beyond_and_no_error(client, nurse, value, missing):
    client.force_login(nurse)
    response = client.get(reverse("staff:appointments"), {"day": value, "prescriber": "x"})
    assert response.status_code == 200
    assert missing not in response.content.decode()
