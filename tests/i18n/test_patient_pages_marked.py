"""Every word a patient can read on a page is marked for translation (issue 19 point 3).

Each page is rendered in the pseudo-language of tests/i18n/pseudo.py, where everything that went
through gettext comes back wrapped in ⟦ ⟧: a word outside the marks (other than the patient's
own data) is one no translator could reach, and fails the test with the page and the words.
Pages: every portal page of a patient with a course, a booked appointment and a request, the
forms' error messages, the pages before sign-in (the browser's language), the invitation.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clinic.monitoring import appointments as book
from registry import services as registry_services
from registry.models import Patient
from tests.i18n.conftest import book_at_ten
from tests.i18n.pseudo import assert_all_marked, marked_translations, unmarked_in_html

LONDON = timezone.get_default_timezone()
DAY = timezone.localdate() + datetime.timedelta(days=5)


@pytest.fixture
def spanish_patient(patient, prescriber, nurse, build_course):
    record = patient.patient
    record.language = Patient.Language.SPANISH
    record.save()
    course = build_course(record, prescriptions=2, visits=2)
    booked = book_at_ten(record, day=DAY, prescriber=prescriber, nurse=nurse)
    later = datetime.datetime.combine(DAY, datetime.time(10, 30), tzinfo=LONDON)
    book.book(record, booked.session, later, by=nurse)
    book.request_change(
        booked, change=booked.Change.MOVE, message="Mornings suit me", by=patient
    )
    return patient, course


def data_of(user, prescriber) -> tuple[str, ...]:
    record = user.patient
    return (
        record.first_name,
        record.last_name,
        record.full_name,
        record.registry_id,
        record.email,
        user.get_username(),
        user.get_full_name(),
        prescriber.get_full_name(),
        prescriber.last_name,
        "Riverside Pharmacy",
        "Mornings suit me",
    )


def _portal_pages(course):
    return [
        reverse("portal:home"),
        reverse("portal:schedule"),
        reverse("portal:course-schedule", args=[course.pk]),
        reverse("portal:progress"),
        reverse("portal:course-progress", args=[course.pk]),
        reverse("portal:calendar"),
        reverse("portal:reminders"),
        reverse("portal:confirmation"),
        reverse("portal:about"),
        reverse("portal:appointments"),
        reverse("password_change"),
    ]


def test_every_portal_page_is_marked(client, monkeypatch, spanish_patient, prescriber):
    user, course = spanish_patient
    client.force_login(user)
    data = data_of(user, prescriber)
    with marked_translations(monkeypatch):
        found = {}
        for url in _portal_pages(course):
            response = client.get(url)
            assert response.status_code == 200, url
            words = unmarked_in_html(response.content.decode(), data)
            if words:
                found[url] = words
    assert_all_marked(found)


def test_the_forms_errors_are_marked(client, monkeypatch, spanish_patient, prescriber):
    user, _course = spanish_patient
    client.force_login(user)
    data = data_of(user, prescriber)
    posts = [
        (reverse("portal:reminders"), {"consent": "on", "channel": "carrier-pigeon"}),
        (reverse("portal:confirmation"), {"methods": ["nonsense"]}),
        (reverse("portal:appointments"), {"appointment": "x", "change": "move", "message": ""}),
        (reverse("password_change"), {"old_password": "wrong", "new_password1": "a"}),
    ]
    with marked_translations(monkeypatch):
        found = {}
        for url, body in posts:
            response = client.post(url, body, follow=True)
            words = unmarked_in_html(response.content.decode(), data)
            if words:
                found[url] = words
    assert_all_marked(found)


def test_a_patient_without_a_course_reads_a_marked_page(client, monkeypatch, other_patient):
    client.force_login(other_patient)
    record = other_patient.patient
    with marked_translations(monkeypatch):
        response = client.get(reverse("portal:home"))
    data = (record.first_name, record.last_name, record.full_name, other_patient.username)
    assert_all_marked({"home": unmarked_in_html(response.content.decode(), data)})


ANONYMOUS_PAGES = [
    ("login", None),
    ("password_reset", None),
    ("password_reset_done", None),
    ("password_reset_complete", None),
    ("password_reset_confirm", ["MQ", "bad-token"]),
    ("portal:invitation-accept", ["not-a-token"]),
]


@pytest.mark.parametrize(("name", "args"), ANONYMOUS_PAGES)
def test_pages_before_sign_in_are_marked(client, db, monkeypatch, name, args):
    with marked_translations(monkeypatch):
        response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="es")
    assert_all_marked({name: unmarked_in_html(response.content.decode())})


def test_failed_sign_in_and_reset_messages_are_marked(client, db, monkeypatch):
    with marked_translations(monkeypatch):
        pages = [
            client.post(
                reverse("login"),
                {"username": "nobody", "password": "wrong"},
                HTTP_ACCEPT_LANGUAGE="es",
            ),
            client.post(
                reverse("password_reset"), {"email": "not an email"}, HTTP_ACCEPT_LANGUAGE="es"
            ),
        ]
    assert_all_marked(
        {str(i): unmarked_in_html(response.content.decode()) for i, response in enumerate(pages)}
    )


def test_the_invitation_page_and_email_are_marked(
    client, monkeypatch, patient, prescriber, django_capture_on_commit_callbacks
):
    record = patient.patient
    record.language = Patient.Language.SPANISH
    record.email = "alex@example.org"
    record.save()
    invitation_urls = []
    with marked_translations(monkeypatch), django_capture_on_commit_callbacks(execute=True):
        registry_services.send_portal_invitation(
            record, by=prescriber, build_url=lambda path: invitation_urls.append(path) or path
        )
    assert len(mail.outbox) == 1
    with marked_translations(monkeypatch):
        response = client.get(invitation_urls[0], HTTP_ACCEPT_LANGUAGE="es")
    data = (record.first_name, patient.get_username(), invitation_urls[0])
    found = {"page": unmarked_in_html(response.content.decode(), data)}
    message = mail.outbox[0]
    found["email"] = unmarked_in_html(message.subject + "\n" + message.body, data)
    assert_all_marked(found)
