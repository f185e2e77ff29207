"""Phone numbers in E.164 and consent per channel (issue 19; docs/SMS.md): the number is
checked with the message next to the field and stored in E.164; each consent given or changed
through the services is recorded with its number or address, when and how; the migration
converts the numbers on record and keeps the ones that do not parse in the notes."""

import datetime
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from registry.bulk_enrolment import Enrolment, enrol_many
from registry.consents import record_consent
from registry.models import ChannelConsent, Patient
from registry.services import update_patient
from tests.factories import PatientFactory
from tests.registry.test_enrolment import enrolment_fields, post, prior_rows, refused

How, Channel = ChannelConsent.How, ChannelConsent.Channel
MIGRATION = importlib.import_module("registry.migrations.0013_phone_e164_channel_consent")


@pytest.fixture
def by_text(prescriber):
    return {
        **enrolment_fields(prescriber),
        **prior_rows(),
        "phone": "07911 123456",
        "reminder_consent": "on",
        "reminder_channel": "sms",
    }


@pytest.mark.parametrize("typed", ["07911 123456", "+44 7911 123456", "+447911123456"])
def test_a_number_is_stored_in_e164(client, nurse, by_text, typed):
    by_text["phone"] = typed
    response = post(client, nurse, by_text)
    assert response.status_code == 302, response.context["form"].errors
    stored = Patient.objects.values_list("phone", flat=True).get()
    assert stored == "+447911123456"


@pytest.mark.parametrize("typed", ["not a number", "123", "+44 7700 900123", "07911 12345678"])
def test_a_number_that_is_not_valid_is_refused_next_to_the_field(client, nurse, by_text, typed):
    by_text["phone"] = typed
    refused(post(client, nurse, by_text), "phone", "Enter a valid phone number")
    assert not Patient.objects.exists()


def test_consent_to_texts_is_recorded_with_the_number_when_and_how(client, nurse, by_text):
    post(client, nurse, by_text)
    patient = Patient.objects.get()
    [consent] = ChannelConsent.objects.all()
    assert (consent.patient, consent.channel, consent.address) == (patient, "sms", "+447911123456")
    assert consent.given_how == How.STAFF_FORM
    assert consent.withdrawn_at is None
    assert consent.history.get().history_user == nurse


def test_a_new_number_withdraws_the_old_consent_and_records_a_new_one(nurse, db):
    patient = PatientFactory(
        phone="07911 123456", reminder_consent=True, reminder_channel=Patient.ReminderChannel.SMS
    )
    record_consent(patient, how=How.STAFF_FORM, by=nurse)
    update_patient(patient, by=nurse, phone="07400 123456")
    old, new = ChannelConsent.objects.order_by("pk")
    assert (old.address, old.withdrawn_how) == ("+447911123456", How.STAFF_FORM)
    assert old.withdrawn_at is not None
    assert (new.address, new.withdrawn_at) == ("+447400123456", None)
    # Saving again without a change records nothing new.
    update_patient(patient, by=nurse, notes="called")
    assert ChannelConsent.objects.count() == 2
    # Turning consent off withdraws it.
    update_patient(patient, by=nurse, reminder_consent=False)
    assert not ChannelConsent.objects.filter(withdrawn_at__isnull=True).exists()


def test_the_portal_records_the_patient_s_consent(client, patient, settings):
    settings.SMS_PROVIDER_URL = "http://127.0.0.1:9"
    client.force_login(patient)
    client.post(reverse("portal:reminders"), {"consent": "yes", "channel": "email"})
    [consent] = ChannelConsent.objects.all()
    assert (consent.channel, consent.given_how) == (Channel.EMAIL, How.PORTAL)
    # Texts without a number on record: refused next to the choice, nothing changed.
    response = client.post(reverse("portal:reminders"), {"consent": "yes", "channel": "sms"})
    assert "The clinic has no phone number for you" in response.content.decode()
    assert ChannelConsent.objects.get().withdrawn_at is None
    client.post(reverse("portal:reminders"), {"consent": "no"})
    assert ChannelConsent.objects.get().withdrawn_how == How.PORTAL


def test_an_import_records_consent_given_by_import(prescriber, registry_admin):
    details = {
        "first_name": "Ines",
        "last_name": "Okafor",
        "date_of_birth": datetime.date(2005, 3, 14),
        "sex": "female",
        "email": "ines@example.org",
        "phone": "07911 123456",
        "prescriber": prescriber,
        "risk_category": "cannot_get_pregnant",
        "reminder_consent": True,
        "reminder_channel": "sms",
    }
    [patient] = enrol_many([Enrolment(details=details)], by=registry_admin)
    [consent] = ChannelConsent.objects.all()
    assert (consent.patient_id, consent.address, consent.given_how) == (
        patient.pk,
        "+447911123456",
        How.IMPORT,
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_numbers_and_keeps_the_others_in_the_notes(prescriber):
    executor = MigrationExecutor(connection)
    executor.migrate([("registry", "0012_import_batch")])
    try:
        old = executor.loader.project_state([("registry", "0012_import_batch")]).apps
        OldPatient = old.get_model("registry", "Patient")
        common = {
            "date_of_birth": "2001-02-03",
            "sex": "female",
            "prescriber_id": prescriber.pk,
            "risk_category": "can_get_pregnant",
        }
        rows = {
            "local": ("07911 123456", "", True, "sms"),
            "international": ("+1 202 555 0143", "", False, ""),
            "nonsense": ("ask at the desk", "Prefers mornings.", True, "sms"),
            "blank": ("", "", True, "email"),
        }
        for n, (name, (phone, notes, consent, channel)) in enumerate(rows.items()):
            OldPatient.objects.create(
                registry_id=f"R{n:010d}",
                first_name=name,
                last_name="Before",
                email=f"{name}@example.org",
                phone=phone,
                notes=notes,
                reminder_consent=consent,
                reminder_channel=channel,
                **common,
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    stored = {p.first_name: p for p in Patient.objects.filter(last_name="Before")}
    assert stored["local"].phone.as_e164 == "+447911123456"
    assert stored["international"].phone.as_e164 == "+12025550143"
    assert stored["nonsense"].phone == ""
    assert stored["nonsense"].notes == "Prefers mornings.\n" + MIGRATION.NOT_A_NUMBER + (
        "ask at the desk"
    )
    assert stored["blank"].phone == ""
    consents = {c.patient.first_name: c for c in ChannelConsent.objects.select_related("patient")}
    assert set(consents) == {"local", "nonsense", "blank"}
    assert (consents["local"].channel, consents["local"].address) == ("sms", "+447911123456")
    assert consents["local"].given_how == How.RECORD
    assert (consents["blank"].channel, consents["blank"].address) == ("email", "blank@example.org")
