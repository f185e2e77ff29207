"""Who receives a patient's reminders (issue 17 point 5): the patient, and the guardian too
when staff recorded that the guardian receives them. The one place that says it: the outbox
rows (schedule.py), the sender's checks (sending.py) and the sentences on the staff patient
page and the portal's reminders page all come from here.

A guardian's copy is the same reminder (same kind, subject and day, the same wording without
health details) in a row of its own, addressed to the guardian's email and marked
{"to": "guardian"} in its context. The guardian's own choice decides whether it is sent; the
patient's consent decides only the patient's copy. When the guardian shares the patient's
address, one row goes to that address (the patient's).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from clinic.reminders.models import Reminder
from clinic.reminders.sms.setup import sms_set_up
from registry.models import Guardian, Patient

GUARDIAN = "guardian"

NO_GUARDIAN = "the patient has no guardian on record any more"
GUARDIAN_STOPPED = "the guardian no longer receives reminders"
GUARDIAN_ADDRESS_CHANGED = "the guardian's email address changed since the reminder was written"


@dataclass(frozen=True)
class Recipient:
    email: str
    guardian: Guardian | None = None  # set for the guardian's copy


def guardian_for(patient: Patient) -> Guardian | None:
    return Guardian.objects.filter(patient_id=patient.pk).first()


def reminder_recipients(patient: Patient, guardian: Guardian | None) -> list[Recipient]:
    """The patient's address (written even when blank or without consent: the sender skips
    it and says why in the send log), then the guardian's if they receive reminders."""
    recipients = [Recipient(patient.email)]
    if (
        guardian is not None
        and guardian.receives_reminders
        and guardian.email
        and guardian.email.lower() != patient.email.lower()
    ):
        recipients.append(Recipient(guardian.email, guardian))
    return recipients


def for_each_recipient(patient: Patient, rows: list[Reminder]) -> list[Reminder]:
    """`rows` (the patient's reminders) once for each recipient of the patient's reminders.
    Reads the guardian only when there is something to send."""
    if not rows:
        return rows
    addressed = []
    for recipient in reminder_recipients(patient, guardian_for(patient)):
        for row in rows:
            row = copy.copy(row)
            row.recipient = recipient.email or ""
            row.context = dict(row.context)
            if recipient.guardian is not None:
                row.context["to"] = GUARDIAN
            addressed.append(row)
    return addressed


def to_guardian(reminder: Reminder) -> bool:
    return reminder.context.get("to") == GUARDIAN


def guardian_skip_reason(reminder: Reminder) -> str:
    """Why a guardian's copy must not be sent now (empty: send it), read when it is due."""
    guardian = Guardian.objects.filter(patient_id=reminder.patient_id).first()
    if guardian is None:
        return NO_GUARDIAN
    if not guardian.receives_reminders:
        return GUARDIAN_STOPPED
    if guardian.email.lower() != reminder.recipient.lower():
        return GUARDIAN_ADDRESS_CHANGED
    return ""


def greeting_name(reminder: Reminder) -> str:
    """The name a reminder greets: the patient's first name, or for the guardian's copy the
    guardian's name (never the patient's name addressed to the guardian)."""
    if reminder.patient is None:
        return ""
    if to_guardian(reminder):
        names = Guardian.objects.filter(patient_id=reminder.patient_id)
        return names.values_list("full_name", flat=True).first() or ""
    return reminder.patient.first_name


def language_of(reminder: Reminder) -> str:
    """The language a reminder is written in: the patient's (Patient.language), for the
    guardian's copy too (it is about the patient's appointments, and the clinic records one
    language per family); the clinic's for a reminder about no patient (a pharmacy's)."""
    patient = reminder.patient
    return (patient.language if patient is not None else "") or settings.LANGUAGE_CODE


# In words, for the pages ----------------------------------------------------------------------


def patient_receives(patient: Patient) -> bool:
    """What the sender checks for the patient's own copy (sending.skip_reason)."""
    if not patient.reminder_consent or patient.status == Patient.Status.WITHDRAWN:
        return False
    if patient.reminder_channel == Patient.ReminderChannel.SMS:  # texts (docs/SMS.md)
        return sms_set_up() and bool(patient.phone)
    return patient.reminder_channel == Patient.ReminderChannel.EMAIL and bool(patient.email)


def who_receives(patient: Patient, guardian: Guardian | None, *, to_patient: bool) -> str:
    """Who receives the patient's reminders, in one sentence: addressed to the patient
    ("Reminders go to you at ... and to your guardian ...") on the portal, in the patient's
    language, about them on the staff page. Empty when nobody does (each page says why in its
    own words)."""
    if patient.status == Patient.Status.WITHDRAWN:
        return ""
    receives = patient_receives(patient)
    by_text = patient.reminder_channel == Patient.ReminderChannel.SMS
    # At most one guardian's copy (reminder_recipients).
    copy = next((r for r in reminder_recipients(patient, guardian) if r.guardian is not None), None)
    if not to_patient:
        return _about_the_patient(patient, copy, receives=receives, by_text=by_text)
    # Whole sentences, one per case, so a translator sees each as it is read.
    if receives and copy is not None:
        sentence = (
            gettext(
                "Reminders go to you by text message at %(phone)s and to your guardian "
                "%(guardian)s at %(guardian_email)s. Both get the same reminders."
            )
            if by_text
            else gettext(
                "Reminders go to you at %(email)s and to your guardian %(guardian)s at "
                "%(guardian_email)s. Both get the same reminders."
            )
        )
    elif receives:
        sentence = (
            gettext("Reminders go to you by text message at %(phone)s.")
            if by_text
            else gettext("Reminders go to you at %(email)s.")
        )
    elif copy is not None:
        sentence = gettext("Reminders go to your guardian %(guardian)s at %(guardian_email)s.")
    else:
        return ""
    return sentence % {
        "phone": patient.phone,
        "email": patient.email,
        "guardian": copy.guardian if copy is not None else "",
        "guardian_email": copy.email if copy is not None else "",
    }


def _about_the_patient(patient, copy: Recipient | None, *, receives: bool, by_text: bool) -> str:
    # The staff page is written in English (staff pages are not translated).
    parts = []
    if receives:
        where = f"by text message at {patient.phone}" if by_text else f"at {patient.email}"
        parts.append(f"the patient {where}")
    if copy is not None:
        parts.append(f"the guardian {copy.guardian} at {copy.email}")
    if not parts:
        return ""
    sentence = "Reminders go to " + " and to ".join(parts) + "."
    if len(parts) > 1:
        sentence += " Both get the same reminders."
    return sentence
