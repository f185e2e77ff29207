"""Reminders and the portal invitation in the patient's own language (issue 19 point 3): a
Spanish patient's emails and texts are in Spanish, with Spanish day and month names; an English
patient's stay as they were; a guardian's copy is in the patient's language; a reminder about
no patient (a pharmacy's certification) is in the clinic's. Every Spanish text is still one
SMS segment (GSM-7, at most 160 characters: á í ó ú lose their accent, clinic/reminders/sms/
texts.py) and is the kind's own text, not the generic one. And the four catalogues this work
fills are wholly translated, nothing fuzzy, their placeholders kept."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from clinic.reminders.models import Reminder
from clinic.reminders.recipients import who_receives
from clinic.reminders.sending import build_message, send_due_reminders
from clinic.reminders.sms.texts import LIMIT, generic_text, is_gsm7, text_for
from registry import services as registry_services
from registry.models import Guardian, Patient
from tests.factories import PatientFactory
from tests.i18n.test_reminder_messages_marked import (
    CASES,
    DUE_AT,
    NOT_ABOUT_A_PATIENT,
    reminder_for,
)
from tests.reminders.test_reminder_sending import assert_no_health_details

Kind = Reminder.Kind
PATIENT_CASES = [case for case, (kind, _) in CASES.items() if kind not in NOT_ABOUT_A_PATIENT]
SPANISH_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
SPANISH_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto")
ENGLISH_WORDS = re.compile(r"\b(Reminder|Hello|clinic|visit|appointment|Reply|Tuesday|March)\b")
STOP_LINE = "Responda STOP para darse de baja."
NOT_GSM7_VOWELS = set("áíóúÁÍÓÚ")
ROOT = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def a_patient(language: str, **fields) -> Patient:
    return PatientFactory(
        **{
            "first_name": "Alex",
            "last_name": "Rivera",
            "email": "alex@example.org",
            "phone": "+34612345678",
            "language": language,
            "reminder_consent": True,
            "reminder_channel": Patient.ReminderChannel.EMAIL,
            **fields,
        }
    )


@pytest.fixture
def spanish(db):
    return a_patient(Patient.Language.SPANISH)


@pytest.fixture
def english(db):
    return a_patient(Patient.Language.ENGLISH, first_name="Sam", email="sam@example.org")


def spanish_date_in(text: str) -> bool:
    return any(day in text for day in SPANISH_DAYS) or any(m in text for m in SPANISH_MONTHS)


# Emails ------------------------------------------------------------------------------------


def test_a_spanish_patients_reminder_email_is_in_spanish(spanish):
    reminder_for(spanish, "visit")
    # The sender's process may have any language active: the patient's decides.
    with translation.override("en-gb"):
        assert send_due_reminders(now=DUE_AT).sent == 1
    [message] = mail.outbox
    assert message.subject == "Recordatorio: su visita en la clínica el martes 30 de marzo"
    assert message.body.startswith("Hola, Alex:")
    assert "Tiene una visita en la clínica el martes 30 de marzo de 2027." in message.body
    assert "Este es un mensaje automático de la clínica" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="es">' in html
    assert "<strong>martes 30 de marzo de 2027</strong>" in html
    assert not ENGLISH_WORDS.search(message.subject + message.body)


def test_an_english_patients_reminder_email_stays_in_english(english):
    reminder_for(english, "visit")
    with translation.override("es"):
        assert send_due_reminders(now=DUE_AT).sent == 1
    [message] = mail.outbox
    assert message.subject == "Reminder: your visit at the clinic on Tuesday 30 March"
    assert "Hello Sam," in message.body
    assert "You have a visit at the clinic on Tuesday 30 March 2027." in message.body
    assert '<html lang="en-gb">' in message.alternatives[0][0]


@pytest.mark.parametrize("case", PATIENT_CASES)
def test_every_kind_of_email_is_in_spanish_for_a_spanish_patient(spanish, english, case):
    spanish_message = build_message(reminder_for(spanish, case))
    english_message = build_message(reminder_for(english, case))
    html = spanish_message.alternatives[0][0]
    for text in (spanish_message.subject, spanish_message.body, html):
        assert not ENGLISH_WORDS.search(text), text
        assert spanish_date_in(text) or "hoy" in text.lower(), text
    assert spanish_message.subject.startswith("Recordatorio: ")
    assert "Hola, Alex:" in spanish_message.body
    assert spanish_message.subject != english_message.subject
    assert_no_health_details(spanish_message.subject, spanish_message.body, html)


def test_a_guardians_copy_is_in_the_patients_language(spanish):
    Guardian.objects.create(
        patient=spanish,
        full_name="Dana Okoro",
        relation=Guardian.Relation.PARENT,
        email="dana.okoro@example.org",
        consent_given=True,
        consent_on=datetime.date(2027, 1, 4),
        receives_reminders=True,
    )
    message = build_message(reminder_for(spanish, "appointment", to="guardian"))
    assert (
        message.subject == "Recordatorio: su cita en la clínica el martes 30 de marzo a las 10:00"
    )
    assert message.body.startswith("Hola, Dana Okoro:")
    assert "Recibe este mensaje como tutor de Alex" in message.body


def test_a_reminder_about_no_patient_is_in_the_clinics_language(spanish):
    with translation.override("es"):
        message = build_message(reminder_for(spanish, "certification"))
    assert message.subject == "Pharmacy certification ends on 26 April 2027: Riverside & Co"


# Text messages -----------------------------------------------------------------------------


def test_a_spanish_patients_text_is_in_spanish(provider, spanish):
    Patient.objects.filter(pk=spanish.pk).update(reminder_channel=Patient.ReminderChannel.SMS)
    spanish.refresh_from_db()
    reminder_for(spanish, "visit")
    with translation.override("en-gb"):
        assert send_due_reminders(now=DUE_AT).sent == 1
    # "clínica" as a text writes it: í is not GSM-7.
    assert provider.texts() == [
        (
            "+34612345678",
            "Recordatorio: tiene una visita en la clinica el martes 30 de marzo. " + STOP_LINE,
        )
    ]


def test_an_english_patients_text_stays_in_english(english):
    with translation.override("es"):
        text = text_for(reminder_for(english, "visit"))
    assert (
        text == "Reminder: you have a visit at the clinic on Tue 30 Mar. Reply STOP to stop texts."
    )


@pytest.mark.parametrize("case", PATIENT_CASES)
def test_every_spanish_text_is_one_segment_and_its_own(spanish, english, case):
    reminder = reminder_for(spanish, case)
    text = text_for(reminder)
    assert is_gsm7(text), text
    assert len(text) <= LIMIT, text
    assert text != generic_text(reminder)
    assert text != text_for(reminder_for(english, case))
    assert text.startswith("Recordatorio: ")
    assert text.endswith(" " + STOP_LINE)
    assert "STOP" in text  # the provider's keyword, never translated
    assert spanish_date_in(text) or "hoy" in text
    assert not NOT_GSM7_VOWELS & set(text)
    assert not ENGLISH_WORDS.search(text)
    assert_no_health_details(text)


@pytest.mark.parametrize("case", PATIENT_CASES)
def test_every_spanish_text_fits_with_the_longest_day(spanish, case):
    """Wednesday 30 September: "miércoles 30 de septiembre", the longest day in Spanish."""
    kind, context = CASES[case]
    longest = {
        key: ("2026-09-30" if re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)) else value)
        for key, value in context.items()
    }
    reminder = Reminder(
        kind=kind,
        patient=spanish,
        due_at=datetime.datetime(2026, 9, 26, 7, 0, tzinfo=datetime.UTC),
        context=longest,
    )
    text = text_for(reminder)
    assert "miércoles 30 de septiembre" in text  # é is GSM-7: it keeps its accent
    assert len(text) <= LIMIT, text
    assert is_gsm7(text), text
    assert text != generic_text(reminder)


def test_a_saturday_loses_only_its_accent_in_a_text(spanish):
    reminder = reminder_for(spanish, "pick-up", window_closes="2027-04-03")  # a Saturday
    assert "sabado 3 de abril" in text_for(reminder)
    with translation.override("es"):
        email = build_message(reminder)
    assert "sábado 3 de abril" in email.subject


def test_the_generic_text_is_spanish_and_one_segment_too(spanish):
    reminder = reminder_for(spanish, "visit")
    text = generic_text(reminder)
    assert text.startswith("Recordatorio de la clinica")
    assert text.endswith(STOP_LINE)
    assert len(text) <= LIMIT
    assert is_gsm7(text)


# The portal invitation and the portal's sentence about reminders ------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        (
            Patient.Language.SPANISH,
            "Su cuenta de la clínica está lista para configurarla",
            ("Hola, Alex:", "Su nombre de usuario es: alex@example.org", "72 horas"),
        ),
        (
            Patient.Language.ENGLISH,
            "Your clinic account is ready to set up",
            ("Hello Alex,", "Your username is: alex@example.org", "72 hours"),
        ),
    ],
)
def test_the_invitation_is_in_the_patients_language(
    db, prescriber, django_capture_on_commit_callbacks, language, subject, words
):
    patient = a_patient(language)
    other = "en-gb" if language == Patient.Language.SPANISH else "es"
    # Sent from a staff page in the other language: the patient's decides.
    with translation.override(other), django_capture_on_commit_callbacks(execute=True):
        registry_services.send_portal_invitation(patient, by=prescriber, build_url=lambda p: p)
    [message] = mail.outbox
    assert message.subject == subject
    for word in words:
        assert word in message.body


def test_the_portal_says_in_spanish_who_receives_the_reminders(spanish):
    Guardian.objects.create(
        patient=spanish,
        full_name="Dana Okoro",
        relation=Guardian.Relation.PARENT,
        email="dana.okoro@example.org",
        consent_given=True,
        consent_on=datetime.date(2027, 1, 4),
        receives_reminders=True,
    )
    with translation.override("es"):
        sentence = who_receives(spanish, spanish.guardian, to_patient=True)
    assert sentence == (
        "Los recordatorios le llegan a usted en alex@example.org y a su tutor, Dana Okoro "
        "(madre o padre), en dana.okoro@example.org. Los dos reciben los mismos recordatorios."
    )


# The catalogues ----------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

