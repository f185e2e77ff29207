"""The appointment book's staff pages: the day view (a bad ?day= is a message, never a 500),
adding a session, booking from the patient page (a tampered or full slot is a message next to
the field, nothing written), cancel, and the patients' requests approved or declined."""

from __future__ import annotations

import datetime
import json
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment, ClinicSession
from clinic.reminders.models import Reminder
from tests.conftest import VNU_JAR
from tests.factories import PatientFactory

LONDON = timezone.get_default_timezone()
NEXT_WEEK = timezone.localdate() + datetime.timedelta(days=7)


@pytest.fixture
def session(prescriber):
    return book.create_session(
        prescriber=prescriber,
        day=NEXT_WEEK,
        starts=datetime.time(9, 0),
        ends=datetime.time(10, 0),
        slot_minutes=30,
        capacity=1,
        by=prescriber,
    )


def at(hour, minute=0):
    return datetime.datetime.combine(NEXT_WEEK, datetime.time(hour, minute), tzinfo=LONDON)


def key(session, moment):
    return f"{session.pk}@{moment.isoformat()}"


@pytest.fixture
def alex(patient):
    return patient.patient


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "0000-00-00", "9" * 40])
def test_a_bad_day_is_a_message_and_today(client, nurse, value):
    client.force_login(nurse)
    response = client.get(reverse("staff:appointments"), {"day": value})
    assert response.status_code == 200
    assert "That is not a date; showing today instead." in response.content.decode()
    assert response.context["day"] == timezone.localdate()


def test_the_day_shows_each_slot_with_who_is_booked_and_the_free_places(
    client, nurse, session, alex
):
    book.book(alex, session, at(9, 30), by=nurse)
    client.force_login(nurse)
    response = client.get(reverse("staff:appointments"), {"day": NEXT_WEEK.isoformat()})
    [row] = response.context["sessions"]
    assert [(s["starts_at"], s["free"]) for s in row["slots"]] == [(at(9), 1), (at(9, 30), 0)]
    assert "Alex Rivera" in response.content.decode()


def test_staff_add_a_session_and_a_bad_one_is_refused_next_to_the_field(client, nurse, prescriber):
    client.force_login(nurse)
    url = reverse("staff:appointments")
    data = {
        "prescriber": prescriber.pk,
        "day": NEXT_WEEK.isoformat(),
        "starts": "14:00",
        "ends": "13:00",
        "slot_minutes": 15,
        "capacity": 2,
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["session_form"].errors == {
        "ends": ["The session must end after it starts."]
    }
    assert not ClinicSession.objects.exists()
    response = client.post(url, {**data, "ends": "16:00"})
    assert response.status_code == 302
    assert response.url == f"{url}?day={NEXT_WEEK.isoformat()}"
    assert ClinicSession.objects.get().capacity == 2


def test_a_nurse_books_a_free_slot_from_the_patient_page(client, nurse, session, alex):
    client.force_login(nurse)
    url = reverse("staff:appointment-book", args=[alex.pk])
    page = client.get(url)
    assert [value for value, _ in page.context["form"].fields["slot"].widget.choices][1:] == [
        key(session, at(9)),
        key(session, at(9, 30)),
    ]
    response = client.post(url, {"slot": key(session, at(9, 30))})
    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=alex)
    assert appointment.starts_at == at(9, 30)
    assert appointment.booked_by == nurse
    assert Reminder.objects.filter(subject_key=f"appointment:{appointment.pk}").count() == 2
    detail = client.get(reverse("staff:patient-detail", args=[alex.pk])).content.decode()
    assert "Book an appointment" in detail
    assert appointment.starts_at.astimezone(LONDON).strftime("%-d %B %Y, 09:30") in detail


@pytest.mark.parametrize(
    "value",
    ["", "nonsense", "999999@2027-01-01T09:00:00+00:00", "{pk}@2027-01-01T09:00:00", "{pk}@"],
)
def test_a_tampered_slot_is_refused_next_to_the_field(client, nurse, session, alex, value):
    client.force_login(nurse)
    url = reverse("staff:appointment-book", args=[alex.pk])
    response = client.post(url, {"slot": value.format(pk=session.pk)})
    assert response.status_code == 400
    assert response.context["form"].errors["slot"]
    assert not Appointment.objects.exists()


def test_a_slot_filled_meanwhile_is_refused_with_the_message(client, nurse, session, alex):
    client.force_login(nurse)
    url = reverse("staff:appointment-book", args=[alex.pk])
    client.get(url)
    book.book(PatientFactory(prescriber=session.prescriber), session, at(9), by=nurse)
    response = client.post(url, {"slot": key(session, at(9))})
    assert response.status_code == 400
    assert response.context["form"].errors["slot"] == [book.FULL]
    assert not Appointment.objects.filter(patient=alex).exists()


def test_booking_for_a_patient_who_does_not_exist_is_404(client, nurse, session):
    client.force_login(nurse)
    url = reverse("staff:appointment-book", args=[10**9])
    assert client.post(url, {"slot": key(session, at(9))}).status_code == 404
    assert not Appointment.objects.exists()


def test_cancel_from_the_day_view_returns_there(client, nurse, session, alex):
    appointment = book.book(alex, session, at(9), by=nurse)
    client.force_login(nurse)
    back = f"{reverse('staff:appointments')}?day={NEXT_WEEK.isoformat()}"
    response = client.post(
        reverse("staff:appointment-cancel", args=[appointment.pk]), {"next": back}
    )
    assert response.url == back
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_an_outside_next_is_not_followed(client, nurse, session, alex):
    appointment = book.book(alex, session, at(9), by=nurse)
    client.force_login(nurse)
    url = reverse("staff:appointment-cancel", args=[appointment.pk])
    response = client.post(url, {"next": "//evil.example/"})
    assert response.url == reverse("staff:patient-detail", args=[alex.pk])


def test_a_no_show_before_it_begins_is_refused_with_a_message(client, nurse, session, alex):
    appointment = book.book(alex, session, at(9), by=nurse)
    client.force_login(nurse)
    response = client.post(reverse("staff:appointment-no-show", args=[appointment.pk]), follow=True)
    assert "cannot be marked missed" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.is_booked


def test_staff_approve_a_move_into_the_slot_they_choose(client, nurse, session, alex, patient):
    appointment = book.book(alex, session, at(9), by=nurse)
    book.request_change(appointment, change="move", message="Later please", by=patient)
    client.force_login(nurse)
    page = client.get(reverse("staff:appointment-requests"))
    assert "Later please" in page.content.decode()
    url = reverse("staff:appointment-approve", args=[appointment.pk])
    client.post(url, {"slot": "tampered"})
    appointment.refresh_from_db()
    assert appointment.request_pending
    client.post(url, {"slot": key(session, at(9, 30))})
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.moved_to.starts_at == at(9, 30)


def test_the_requests_page_shows_the_soonest_thirty_and_says_how_many_wait(
    client, nurse, prescriber, patient
):
    """35 requests to move: the 30 of the soonest appointments, each with the free slots to
    move to, and a line saying 35 wait."""
    big = book.create_session(
        prescriber=prescriber,
        day=NEXT_WEEK,
        starts=datetime.time(8, 0),
        ends=datetime.time(20, 0),
        slot_minutes=20,
        capacity=1,
        by=prescriber,
    )
    booked = []
    for k in range(35):
        someone = PatientFactory(prescriber=prescriber)
        appointment = book.book(someone, big, at(8) + datetime.timedelta(minutes=20 * k), by=nurse)
        book.request_change(appointment, change="move", message=f"Request {k}", by=patient)
        booked.append(appointment)
    client.force_login(nurse)
    html = client.get(reverse("staff:appointment-requests")).content.decode()
    shown = [k for k in range(35) if f"Request {k}<" in html]
    assert shown == list(range(30))  # the soonest first
    assert "35 requests are waiting; the 30 for the soonest appointments are here." in html
    free = key(big, at(8) + datetime.timedelta(minutes=20 * 35))
    assert html.count(f'<option value="{free}">') == 30


def test_staff_decline_a_request(client, nurse, session, alex, patient):
    appointment = book.book(alex, session, at(9), by=nurse)
    book.request_change(appointment, change="cancel", message="", by=patient)
    client.force_login(nurse)
    client.post(reverse("staff:appointment-decline", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.is_booked
    assert appointment.request_status == Appointment.Request.DECLINED


@pytest.mark.html_checker
def test_the_book_s_pages_with_their_rows_are_valid_html(
    client, nurse, session, alex, patient, tmp_path
):
    """The permission table's walk (tests/security/test_html_valid.py) sees these pages empty;
    here they show a booked slot, a request, a form with its errors and the portal's card."""
    appointment = book.book(alex, session, at(9), by=nurse)
    book.request_change(appointment, change="move", message="Later", by=patient)
    client.force_login(nurse)
    documents = {
        "day.html": client.get(reverse("staff:appointments"), {"day": NEXT_WEEK.isoformat()}),
        "day-errors.html": client.post(reverse("staff:appointments"), {}),
        "requests.html": client.get(reverse("staff:appointment-requests")),
        "book.html": client.get(reverse("staff:appointment-book", args=[alex.pk])),
        "book-errors.html": client.post(reverse("staff:appointment-book", args=[alex.pk])),
        "patient.html": client.get(alex.get_absolute_url()),
        # The day of one prescriber, and the visit form's slot menu (issue 19 point 1's rest).
        "day-filtered.html": client.get(
            reverse("staff:appointments"),
            {"day": NEXT_WEEK.isoformat(), "prescriber": session.prescriber.pk},
        ),
        "visit.html": client.get(reverse("staff:visit-new", args=[alex.pk])),
        "visit-slot-errors.html": client.post(
            reverse("staff:visit-new", args=[alex.pk]),
            {"next_follow_up": NEXT_WEEK.isoformat(), "follow_up_slot": "tampered"},
        ),
    }
    book.decline(appointment, by=nurse)
    client.force_login(patient)
    documents["portal-home.html"] = client.get(reverse("portal:home"))
    documents["portal.html"] = client.get(reverse("portal:appointments"))
    documents["portal-errors.html"] = client.post(
        reverse("portal:appointments"), {"appointment": appointment.pk, "change": "move"}
    )
    for name, response in documents.items():
        assert response.status_code in (200, 400), name
        (tmp_path / name).write_bytes(response.content)
    run = subprocess.run(
        ["java", "-jar", VNU_JAR, "--errors-only", "--format", "json", "--exit-zero-always"]
        + sorted(str(path) for path in tmp_path.iterdir()),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == []
