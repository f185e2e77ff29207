"""Changes a patient makes in the portal, each in one transaction and in the audit history with
the patient as the user: reminder preferences and the monthly confirmation (R16)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from clinic.portal.content import wrong_answers
from dosing.services import CONFIRMATION_VALID_DAYS
from registry.audit import changed_by
from registry.consents import record_consent
from registry.models import ChannelConsent, MonthlyConfirmation, Patient

PORTAL_REASON = "Changed by the patient in the portal"


@transaction.atomic
def save_reminder_preferences(patient: Patient, *, by, consent: bool, channel: str) -> Patient:
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if consent and not patient.reminder_consent:
        patient.reminder_consent_on = timezone.localdate()
    elif not consent:
        patient.reminder_consent_on = None
    patient.reminder_consent = consent
    patient.reminder_channel = channel or patient.reminder_channel
    changed_by(patient, by, PORTAL_REASON).save()
    record_consent(patient, how=ChannelConsent.How.PORTAL, by=by)
    return patient


def todays_confirmation(patient: Patient, today: datetime.date) -> MonthlyConfirmation | None:
    return patient.monthly_confirmations.filter(confirmed_on=today).order_by("-pk").first()


def last_passed(patient: Patient) -> MonthlyConfirmation | None:
    passed = patient.monthly_confirmations.filter(passed=True)
    return passed.order_by("-confirmed_on", "-pk").first()


def valid_until(confirmation: MonthlyConfirmation) -> datetime.date:
    """The last day a prescription may rely on it (dosing.services.check_monthly_confirmation)."""
    return confirmation.confirmed_on + datetime.timedelta(days=CONFIRMATION_VALID_DAYS - 1)


@transaction.atomic
def record_confirmation(
    patient: Patient, *, by, methods: list[str], answers: dict[str, str], today: datetime.date
) -> MonthlyConfirmation:
    """Today's confirmation: created on the first try, updated (attempts + 1) on each later try
    the same day; passed only when every answer is right. A passed one is never undone."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    record = todays_confirmation(patient, today)
    if record is not None and record.passed:
        return record
    if record is None:
        record = MonthlyConfirmation(patient=patient, confirmed_on=today, attempts=1)
    else:
        record.attempts += 1
    record.contraception_methods = list(methods)
    record.answers = dict(answers)
    record.passed = not wrong_answers(answers)
    changed_by(record, by).save()
    return record
