"""Reminder preferences: consent on or off and the channel, with the effect in plain words,
each change in the patient's audit history with the patient as the user."""

from django.urls import reverse

from registry.models import Patient
from tests.portal.builders import TODAY


def effect(client) -> str:
    html = client.get(reverse("portal:reminders")).content.decode()
    return html.split('data-testid="reminder-effect"')[1].split("</section>")[0]


def test_without_consent_it_says_no_reminders(client, patient):
    client.force_login(patient)
    assert "You will get no reminders." in effect(client)


def test_turning_reminders_on_says_what_will_happen_and_is_audited(client, patient):
    alex = patient.patient
    client.force_login(patient)
    response = client.post(reverse("portal:reminders"), {"consent": "yes", "channel": "email"})
    assert response.status_code == 302
    alex.refresh_from_db()
    assert (alex.reminder_consent, alex.reminder_channel) == (True, "email")
    assert alex.reminder_consent_on == TODAY
    text = effect(client)
    assert f"We will email you at {alex.email} 3 days before each visit" in text
    assert "monthly confirmation" in text  # can get pregnant
    last = Patient.history.filter(id=alex.pk).latest("history_id")
    assert last.history_user_id == patient.pk
    assert last.history_change_reason == "Changed by the patient in the portal"
    assert last.reminder_consent is True

    client.post(reverse("portal:reminders"), {"consent": "no", "channel": "email"})
    alex.refresh_from_db()
    assert (alex.reminder_consent, alex.reminder_consent_on) == (False, None)
    assert "You will get no reminders." in effect(client)
    rows = Patient.history.filter(id=alex.pk).order_by("history_id")
    assert [r.reminder_consent for r in rows][-2:] == [True, False]
    assert {r.history_user_id for r in rows[1:]} == {patient.pk}


def test_text_messages_are_not_sent_and_the_page_says_so(client, patient):
    client.force_login(patient)
    client.post(reverse("portal:reminders"), {"consent": "yes", "channel": "sms"})
    assert "the clinic cannot send text messages yet" in effect(client)


def test_no_email_address_means_no_reminders(client, patient):
    alex = patient.patient
    alex.email = ""
    alex.save()
    client.force_login(patient)
    client.post(reverse("portal:reminders"), {"consent": "yes", "channel": "email"})
    assert "the clinic has no email address for you" in effect(client)


def test_consent_needs_a_channel(client, patient):
    client.force_login(patient)
    response = client.post(reverse("portal:reminders"), {"consent": "yes"})
    assert response.status_code == 200
    assert "Choose how you want your reminders." in response.content.decode()
    patient.patient.refresh_from_db()
    assert patient.patient.reminder_consent is False
