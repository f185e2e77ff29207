"""Staff pages for reminders: a patient's send log, the failed list and Retry."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.reminders.models import Reminder
from clinic.reminders.sending import send_due_reminders
from tests.factories import PatientFactory

Kind, Status = Reminder.Kind, Reminder.Status
UTC = datetime.UTC


def reminder(patient, n=0, *, status=Status.SCHEDULED, **fields):
    due_at = datetime.datetime(2026, 3, 27, 8, 0, tzinfo=UTC) + datetime.timedelta(days=n)
    return Reminder.objects.create(
        kind=fields.pop("kind", Kind.FOLLOW_UP_VISIT),
        patient=patient,
        recipient=patient.email if patient else "reg.admin@example.org",
        subject_key=fields.pop("subject_key", f"visit:{n}"),
        due_at=due_at,
        due_date=due_at.date(),
        context={"visit_on": "2026-03-30"},
        status=status,
        **fields,
    )


def failed(patient, n=0, **fields):
    return reminder(
        patient,
        n,
        status=Status.FAILED,
        attempts=4,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        **fields,
    )


def assert_no_inline_script_or_style(html):
    assert "style=" not in html
    assert "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag


# The send log ------------------------------------------------------------------------------


def test_the_send_log_lists_every_reminder_of_the_patient(client, nurse, male_patient):
    sent = reminder(male_patient, 0, status=Status.SENT, attempts=1)
    Reminder.objects.filter(pk=sent.pk).update(
        sent_at=datetime.datetime(2026, 3, 27, 8, 0, 12, tzinfo=UTC)
    )
    reminder(male_patient, 1, status=Status.SKIPPED, last_error="no reminder consent")
    failed(male_patient, 2, kind=Kind.PICK_UP_CLOSING, subject_key="prescription:4")
    reminder(male_patient, 3, status=Status.CANCELLED, last_error="Cancelled: rescheduled.")
    other = PatientFactory()
    reminder(other, 4, last_error="not this patient's")
    client.force_login(nurse)
    response = client.get(reverse("staff:patient-reminders", args=[male_patient.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('data-testid="reminder-log"') :]
    assert table.count("<tr") == 5  # the header and four rows
    for text in (
        "Follow-up visit",
        "Pick-up window closing",
        "Sent",
        "Skipped",
        "Failed",
        "Cancelled",
        "no reminder consent",
        "SMTPServerDisconnected: Connection unexpectedly closed",
        "27 Mar 2026 08:00",  # due and sent, in the clinic's zone (GMT in March)
        male_patient.email,
    ):
        assert text in table, text
    assert "not this patient" not in html
    assert "No: reminders are written but not sent" in html
    assert_no_inline_script_or_style(html)


def test_the_send_log_shows_times_in_the_clinic_s_zone(client, nurse, male_patient):
    reminder(male_patient, 100)  # 5 July 2026, 08:00 UTC = 09:00 BST
    client.force_login(nurse)
    html = client.get(reverse("staff:patient-reminders", args=[male_patient.pk])).content.decode()
    assert "5 Jul 2026 09:00" in html


def log_queries(client, patient):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("staff:patient-reminders", args=[patient.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_send_log_takes_the_same_number_of_queries_for_5_and_50_reminders(
    client, prescriber, male_patient
):
    client.force_login(prescriber)
    for n in range(5):
        reminder(male_patient, n)
    five = log_queries(client, male_patient)
    for n in range(5, 50):
        if n % 2:
            failed(male_patient, n)
        else:
            reminder(male_patient, n, status=Status.SENT, attempts=1)
    assert log_queries(client, male_patient) == five


@pytest.mark.parametrize(("persona", "answer"), [("pharmacist", 404), ("patient", 404)])
def test_only_staff_see_a_send_log(client, personas, male_patient, persona, answer):
    client.force_login(personas[persona])
    assert (
        client.get(reverse("staff:patient-reminders", args=[male_patient.pk])).status_code == answer
    )


def test_an_anonymous_visitor_is_sent_to_sign_in(client, male_patient):
    response = client.get(reverse("staff:patient-reminders", args=[male_patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_unknown_patient_is_404(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("staff:patient-reminders", args=[999999])).status_code == 404


# Failed reminders and Retry ----------------------------------------------------------------


def test_the_failed_list_shows_failed_reminders_with_a_retry_button(client, nurse, male_patient):
    row = failed(male_patient)
    admin_row = failed(None, 1, kind=Kind.CERTIFICATION_EXPIRING, subject_key="pharmacy:1")
    reminder(male_patient, 2, status=Status.SENT)
    client.force_login(nurse)
    response = client.get(reverse("staff:reminders-failed"))
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('data-testid="failed-reminders"') :].split("</table>")[0]
    assert table.count("<tr") == 3
    assert male_patient.full_name in table
    assert reverse("staff:patient-reminders", args=[male_patient.pk]) in table
    assert "Pharmacy certification expiring" in table
    assert "SMTPServerDisconnected" in table
    for pk in (row.pk, admin_row.pk):
        action = reverse("staff:reminder-retry", args=[pk])
        assert f'<form method="post" action="{action}"' in table
    assert table.count('name="csrfmiddlewaretoken"') == 2
    assert_no_inline_script_or_style(html)


def failed_list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff:reminders-failed")).status_code == 200
    return len(queries)


def test_the_failed_list_takes_the_same_number_of_queries_for_5_and_50_rows(client, nurse):
    client.force_login(nurse)
    patients = [PatientFactory() for _ in range(10)]
    for n in range(5):
        failed(patients[n], n)
    five = failed_list_queries(client)
    for n in range(5, 50):
        failed(patients[n % 10], n)
    assert failed_list_queries(client) == five


def test_retry_puts_a_failed_reminder_back_in_the_queue_now_and_it_is_sent(
    client, nurse, male_patient
):
    male_patient.reminder_consent = True
    male_patient.save()
    row = failed(male_patient)
    client.force_login(nurse)
    before = timezone.now()
    response = client.post(reverse("staff:reminder-retry", args=[row.pk]), follow=True)
    assert response.redirect_chain == [(reverse("staff:reminders-failed"), 302)]
    assert "will be sent again within a minute" in response.content.decode()
    row.refresh_from_db()
    assert row.status == Status.SCHEDULED
    assert row.attempts == 4  # kept
    assert before <= row.next_attempt_at <= timezone.now()
    assert send_due_reminders().sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 5)


def test_retry_of_a_reminder_that_has_not_failed_changes_nothing(client, nurse, male_patient):
    row = reminder(male_patient, status=Status.SENT, attempts=1)
    client.force_login(nurse)
    response = client.post(reverse("staff:reminder-retry", args=[row.pk]), follow=True)
    assert "nothing to retry" in response.content.decode()
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_retry_is_post_only_and_staff_only(client, personas, male_patient):
    row = failed(male_patient)
    url = reverse("staff:reminder-retry", args=[row.pk])
    assert client.post(url).status_code == 302  # anonymous: to the sign-in page
    client.force_login(personas["nurse"])
    assert client.get(url).status_code == 405
    for persona in ("pharmacist", "patient", "registry_admin"):
        client.force_login(personas[persona])
        assert client.post(url).status_code == 404
        assert client.get(reverse("staff:reminders-failed")).status_code == 404
    client.force_login(personas["prescriber"])
    assert client.post(reverse("staff:reminder-retry", args=[999999])).status_code == 404
    row.refresh_from_db()
    assert row.status == Status.FAILED
