"""Consent to reminders per channel (issue 19): the ChannelConsent rows follow what the patient
record says (reminder_consent, reminder_channel, email, phone) after each change made through
the services, and a STOP reply withdraws consent to texts at the number it came from.

One consent in force at a time: a new channel or a new address withdraws the old consent (by
the same "how") and records a new one, so the record shows which number or address each
consent was for."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from registry.audit import changed_by
from registry.models import ChannelConsent, Patient

How = ChannelConsent.How
STOP_REASON = "STOP reply to a text message"


def consented_address(patient: Patient) -> tuple[str, str]:
    """(channel, address) the patient consents to now, or ("", "") without consent."""
    if not patient.reminder_consent or not patient.reminder_channel:
        return "", ""
    if patient.reminder_channel == Patient.ReminderChannel.SMS:
        return ChannelConsent.Channel.SMS, patient.phone.as_e164 if patient.phone else ""
    return ChannelConsent.Channel.EMAIL, patient.email or ""


def consent_rows(patient: Patient, *, how: str, now: datetime.datetime) -> list[ChannelConsent]:
    """The new consent row(s) for a patient who has none yet (enrolment, import): unsaved."""
    channel, address = consented_address(patient)
    if not channel:
        return []
    return [
        ChannelConsent(
            patient=patient, channel=channel, address=address, given_at=now, given_how=how
        )
    ]


def record_consent(patient: Patient, *, how: str, by, now: datetime.datetime | None = None):
    """Bring the consent rows in line with the (saved) patient record. Call inside the
    service's transaction, after the patient is saved. Returns the consent in force or None."""
    now = now or timezone.now()
    channel, address = consented_address(patient)
    current = (
        ChannelConsent.objects.select_for_update()
        .filter(patient=patient, withdrawn_at__isnull=True)
        .first()
    )
    if current is not None and (current.channel, current.address) == (channel, address):
        return current
    if current is not None:
        current.withdrawn_at, current.withdrawn_how = now, how
        changed_by(current, by).save(update_fields=["withdrawn_at", "withdrawn_how"])
    if not channel:
        return None
    consent = ChannelConsent(
        patient=patient, channel=channel, address=address, given_at=now, given_how=how
    )
    changed_by(consent, by).save()
    return consent


@transaction.atomic
def withdraw_by_stop_reply(number: str, *, now: datetime.datetime | None = None) -> int:
    """A STOP reply from `number` (E.164): texts to that number stop. Each patient who gets
    reminders by text at that number loses reminder consent (the record and its history say
    why); returns how many patients. Other channels and other numbers are left as they are."""
    now = now or timezone.now()
    patients = Patient.objects.select_for_update().filter(
        phone=number, reminder_consent=True, reminder_channel=Patient.ReminderChannel.SMS
    )
    count = 0
    for patient in patients.order_by("pk"):
        patient.reminder_consent = False
        patient.reminder_consent_on = None
        patient.reminder_channel = ""
        changed_by(patient, None, STOP_REASON).save()
        record_consent(patient, how=How.STOP_REPLY, by=None, now=now)
        count += 1
    return count
