"""STOP replies through the provider's signed webhook (issue 19; docs/SMS.md): a signed STOP
from a patient's number turns text consent off and records it; a wrong or missing signature is
refused (403) and changes nothing; an unknown number or another reply changes nothing and
tells nothing (200, no body)."""

import pytest
from django.test import Client
from django.urls import reverse

from clinic.reminders.sms.twilio import twilio_signature
from registry.models import ChannelConsent, Patient
from registry.services import update_patient
from tests.factories import PatientFactory
from tests.reminders.fake_sms_provider import TOKEN

URL = "http://testserver" + reverse("reminders:sms-inbound")


@pytest.fixture(autouse=True)
def provider_settings(settings):
    settings.SMS_PROVIDER_URL = "http://127.0.0.1:9"
    settings.SMS_AUTH_TOKEN = TOKEN
    settings.SMS_WEBHOOK_URL = ""


@pytest.fixture
def sam(db, nurse):
    patient = PatientFactory(email="sam@example.org")
    update_patient(
        patient,
        by=nurse,
        phone="07911 123456",
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.SMS,
    )
    return Patient.objects.get(pk=patient.pk)


def reply(body, number="+447911123456", *, signature=None, token=TOKEN):
    form = {"From": number, "Body": body, "To": "+447911000000", "MessageSid": "SM123"}
    signature = signature or twilio_signature(token, URL, form.items())
    # A real client with CSRF checks on: the provider sends no token.
    client = Client(enforce_csrf_checks=True)
    return client.post(URL, form, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_signed_stop_reply_turns_text_consent_off(sam):
    response = reply("Stop")
    assert (response.status_code, response.content) == (200, b"")
    sam.refresh_from_db()
    assert (sam.reminder_consent, sam.reminder_channel) == (False, "")
    consent = ChannelConsent.objects.get(patient=sam)
    assert consent.withdrawn_how == ChannelConsent.How.STOP_REPLY
    assert consent.withdrawn_at is not None
    assert sam.history.first().history_change_reason == "STOP reply to a text message"


@pytest.mark.parametrize("body", ["STOP", " stop ", "Unsubscribe", "STOP ALL", "quit"])
def test_the_usual_opt_out_words_all_stop(sam, body):
    reply(body)
    sam.refresh_from_db()
    assert sam.reminder_consent is False


@pytest.mark.parametrize(
    ("signature", "token"),
    [("bm90IHRoZSBzaWduYXR1cmU=", TOKEN), (None, "another-token")],
    ids=["forged", "signed-with-another-token"],
)
def test_a_wrong_signature_is_refused_and_changes_nothing(sam, signature, token):
    response = reply("STOP", signature=signature, token=token)
    assert response.status_code == 403
    sam.refresh_from_db()
    assert sam.reminder_consent is True
    assert ChannelConsent.objects.get(patient=sam).withdrawn_at is None


def test_without_a_signature_or_without_a_token_it_is_refused(sam, settings):
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, {"From": "+447911123456", "Body": "STOP"}).status_code == 403
    settings.SMS_AUTH_TOKEN = ""
    assert reply("STOP", token="").status_code == 403
    sam.refresh_from_db()
    assert sam.reminder_consent is True


def test_a_stop_from_an_unknown_number_changes_nothing_and_tells_nothing(sam):
    response = reply("STOP", number="+447400123456")
    assert (response.status_code, response.content) == (200, b"")
    sam.refresh_from_db()
    assert sam.reminder_consent is True


def test_another_reply_changes_nothing(sam):
    assert reply("Please stop by tomorrow?").status_code == 200
    sam.refresh_from_db()
    assert sam.reminder_consent is True


def test_a_stop_leaves_a_patient_who_chose_email_alone(sam, nurse):
    alex = PatientFactory(
        phone="07911 123456", reminder_consent=True, reminder_channel=Patient.ReminderChannel.EMAIL
    )
    reply("STOP")
    alex.refresh_from_db()
    assert alex.reminder_consent is True


def test_a_get_is_not_allowed(client, db):
    assert client.get(URL).status_code == 405


def test_the_signature_is_twilio_s():
    """The example of Twilio's documentation ("Validating requests"): token 12345."""
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
