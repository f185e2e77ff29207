"""Reminders by text message (issue 19; docs/SMS.md), sent to a fake provider on loopback in
the shape of Twilio's Messages API: each due text POSTed once with the right number, text and
credentials; a provider error retried with the email backoff; a refusal failed with the
provider's reason; the provider's id in the send log; texts short, GSM-7 and without health
details; nothing sent while SMS is not set up."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from clinic.reminders.models import Reminder
from clinic.reminders.sending import (
    BACKOFF,
    MAX_ATTEMPTS,
    NO_PHONE,
    SMS_NOT_SET_UP,
    send_due_reminders,
)
from clinic.reminders.sms.texts import LIMIT, is_gsm7, text_for
from registry.models import Patient
from tests.factories import PatientFactory
from tests.reminders.fake_sms_provider import FROM, SID, TOKEN
from tests.reminders.test_reminder_sending import (
    CONTEXTS,
    LONDON,
    MINUTE,
    NOW,
    assert_no_health_details,
    fresh,
)

Kind, Status = Reminder.Kind, Reminder.Status
MOBILE = "+447911123456"


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def sam(db):
    return PatientFactory(
        first_name="Sam",
        email="sam@example.org",
        phone="07911 123456",
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.SMS,
    )


def due(patient, kind=Kind.FOLLOW_UP_VISIT, *, subject="visit:1", due_at=NOW - MINUTE, **ctx):
    return Reminder.objects.create(
        kind=kind,
        patient=patient,
        recipient=patient.email,
        subject_key=subject,
        due_at=due_at,
        due_date=due_at.astimezone(LONDON).date(),
        context=ctx or {"visit_on": "2027-03-30"},
    )


def test_a_due_text_is_posted_once_to_the_provider_and_logged(provider, sam):
    reminder = due(sam)
    run = send_due_reminders(now=NOW)
    assert (run.sent, run.failed, run.retried) == (1, 0, 0)
    [request] = provider.received
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.credentials == f"{SID}:{TOKEN}"
    assert request.form == {
        "To": MOBILE,
        "From": FROM,
        "Body": "Reminder: you have a visit at the clinic on Tue 30 Mar. Reply STOP to stop texts.",
    }
    assert mail.outbox == []  # by text, not also by email
    reminder = fresh(reminder)
    assert reminder.status == Status.SENT
    assert reminder.context["provider_id"] == "SM" + "1".zfill(32)
    assert reminder.context["sms_to"] == MOBILE
    # Running again sends nothing more.
    send_due_reminders(now=NOW + MINUTE)
    assert len(provider.received) == 1


def test_the_send_log_shows_the_number_and_the_provider_id(client, provider, sam, nurse):
    due(sam)
    send_due_reminders(now=NOW)
    client.force_login(nurse)
    page = client.get(reverse("staff:patient-reminders", args=[sam.pk])).content.decode()
    assert f"Text to {MOBILE} (provider id SM{'1'.zfill(32)})" in page


def test_a_provider_error_is_retried_with_the_email_backoff_then_failed(provider, sam):
    reminder = due(sam)
    clock = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        provider.answer_next(503, {"code": 20500, "message": "Service unavailable"})
        send_due_reminders(now=clock)
        reminder = fresh(reminder)
        assert reminder.attempts == attempt
        assert "HTTP 503 20500: Service unavailable" in reminder.last_error
        if attempt < MAX_ATTEMPTS:
            assert reminder.status == Status.SCHEDULED
            assert reminder.next_attempt_at == clock + BACKOFF[attempt - 1]
            send_due_reminders(now=reminder.next_attempt_at - datetime.timedelta(seconds=1))
            assert len(provider.received) == attempt  # not before its time
            clock = reminder.next_attempt_at
    assert reminder.status == Status.FAILED
    assert len(provider.received) == MAX_ATTEMPTS


def test_a_provider_error_then_success_sends_the_text_once(provider, sam):
    reminder = due(sam)
    provider.answer_next(500, {})
    send_due_reminders(now=NOW)
    send_due_reminders(now=fresh(reminder).next_attempt_at)
    assert fresh(reminder).status == Status.SENT
    assert [to for to, _ in provider.texts()] == [MOBILE, MOBILE]  # the failed try and the text


def test_an_invalid_number_refused_by_the_provider_fails_at_once_with_the_reason(provider, sam):
    reminder = due(sam)
    provider.answer_next(400, {"code": 21211, "message": "The 'To' number is not valid."})
    run = send_due_reminders(now=NOW)
    assert (run.failed, run.retried) == (1, 0)
    reminder = fresh(reminder)
    assert reminder.status == Status.FAILED
    assert reminder.attempts == 1
    assert reminder.last_error == (
        "refused by the SMS provider: HTTP 400 21211: The 'To' number is not valid."
    )
    send_due_reminders(now=NOW + datetime.timedelta(hours=1))
    assert len(provider.received) == 1


def test_a_provider_that_is_down_is_retried(settings, sam):
    settings.SMS_PROVIDER_URL = "http://127.0.0.1:9"  # nothing listens (discard port)
    settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN = SID, TOKEN
    reminder = due(sam)
    run = send_due_reminders(now=NOW)
    assert run.retried == 1
    assert fresh(reminder).status == Status.SCHEDULED


def test_without_a_provider_no_text_is_sent(settings, sam):
    settings.SMS_PROVIDER_URL = ""
    reminder = due(sam)
    send_due_reminders(now=NOW)
    assert (fresh(reminder).status, fresh(reminder).last_error) == (Status.SKIPPED, SMS_NOT_SET_UP)


def test_without_a_phone_number_no_text_is_sent(provider, sam):
    sam.phone = ""
    sam.save()
    reminder = due(sam)
    send_due_reminders(now=NOW)
    assert (fresh(reminder).status, fresh(reminder).last_error) == (Status.SKIPPED, NO_PHONE)
    assert provider.received == []


def test_a_patient_by_email_gets_no_text(provider, db):
    alex = PatientFactory(
        phone=MOBILE, reminder_consent=True, reminder_channel=Patient.ReminderChannel.EMAIL
    )
    due(alex)
    send_due_reminders(now=NOW)
    assert provider.received == []
    assert len(mail.outbox) == 1


def test_without_consent_no_text_is_sent(provider, sam):
    sam.reminder_consent = False
    sam.save()
    due(sam)
    send_due_reminders(now=NOW)
    assert provider.received == []


def test_several_due_texts_each_go_once(provider, sam):
    other = PatientFactory(
        phone="+44 7400 123456",
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.SMS,
    )
    due(sam, subject="visit:1")
    due(sam, Kind.MONTHLY_CONFIRMATION, subject="visit:1")
    due(other, subject="visit:2")
    send_due_reminders(now=NOW)
    visit = "Reminder: you have a visit at the clinic on Tue 30 Mar. Reply STOP to stop texts."
    confirm = (
        "Reminder: please complete your monthly confirmation on the clinic's website before "
        "Tue 30 Mar. Reply STOP to stop texts."
    )
    assert sorted(provider.texts()) == sorted(
        [(MOBILE, visit), (MOBILE, confirm), ("+447400123456", visit)]
    )


# What the texts say ------------------------------------------------------------------------

# Kinds the email table (CONTEXTS) does not cover.
MORE_CONTEXTS = {Kind.MONTH_TWO_LABS: {"come_by_on": "2027-03-30"}}


@pytest.mark.parametrize("case", CONTEXTS)
def test_every_text_is_short_gsm7_and_without_health_details(sam, case):
    kind, context = CONTEXTS[case]
    text = text_for(due(sam, kind, subject=f"s:{case}", **context))
    assert len(text) <= LIMIT
    assert is_gsm7(text)
    assert_no_health_details(text)
    assert text.endswith("Reply STOP to stop texts.")


@pytest.mark.parametrize("kind", [k for k in Kind if k != Kind.CERTIFICATION_EXPIRING])
def test_each_patient_kind_has_its_own_text(sam, kind):
    cases = [context for k, context in CONTEXTS.values() if k == kind]
    context = cases[0] if cases else MORE_CONTEXTS[kind]
    text = text_for(due(sam, kind, subject="s:1", **context))
    assert_no_health_details(text)
    assert len(text) <= LIMIT
    assert not text.startswith("Reminder from the clinic: please look")  # not the generic one
    assert "30 Mar" in text or "29 Mar" in text or "20 Apr" in text


def test_the_morning_text_says_today(sam):
    reminder = due(sam, due_at=datetime.datetime(2027, 3, 30, 7, 0, tzinfo=datetime.UTC))
    assert text_for(reminder).startswith("Reminder: you have a visit at the clinic today.")
