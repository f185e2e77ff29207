"""Every word of every reminder is marked for translation (issue 19 point 3): for each kind of
reminder (clinic/reminders/models.py Reminder.Kind, "appointment" included) and each of its
wordings (on the day or before it, with or without a time, the guardian's copy), the email's
subject, text and HTML and the text message, written for a Spanish patient in the
pseudo-language of tests/i18n/pseudo.py, have no word outside the marks but the patient's own
data. So does the portal invitation email, with its on-commit callback run (it is sent only
once the transaction commits)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail

from clinic.reminders.models import Reminder
from clinic.reminders.sending import build_message
from clinic.reminders.sms.texts import kind_text
from registry import services as registry_services
from registry.models import Guardian, Patient
from tests.factories import PatientFactory
from tests.i18n.pseudo import (
    assert_all_marked,
    marked_translations,
    unmarked_words,
    visible_text,
)

Kind = Reminder.Kind
UTC = datetime.UTC
# Saturday 27 March 2027, 08:00 in London: the day the reminders below are due.
DUE_AT = datetime.datetime(2027, 3, 27, 8, 0, tzinfo=UTC)
TODAY = "2027-03-27"

# Each wording of each kind: (kind, context).
CASES = {
    "visit": (Kind.FOLLOW_UP_VISIT, {"visit_on": "2027-03-30"}),
    "visit today": (Kind.FOLLOW_UP_VISIT, {"visit_on": TODAY}),
    "check-up before a visit": (
        Kind.PREGNANCY_TEST_DUE,
        {"visit_on": "2027-03-30", "reason": "visit"},
    ),
    "check-up after a course": (
        Kind.PREGNANCY_TEST_DUE,
        {"test_on": "2027-04-20", "reason": "course_end"},
    ),
    "check-up after a course, today": (
        Kind.PREGNANCY_TEST_DUE,
        {"test_on": TODAY, "reason": "course_end"},
    ),
    "pick-up": (Kind.PICK_UP_CLOSING, {"window_closes": "2027-03-29"}),
    "confirmation": (Kind.MONTHLY_CONFIRMATION, {"visit_on": "2027-03-30"}),
    "month-2 labs": (Kind.MONTH_TWO_LABS, {"come_by_on": "2027-03-30"}),
    "appointment": (Kind.APPOINTMENT, {"appointment_on": "2027-03-30", "at": "10:00"}),
    "appointment today": (Kind.APPOINTMENT, {"appointment_on": TODAY, "at": "10:00"}),
    "appointment without a time": (Kind.APPOINTMENT, {"appointment_on": "2027-03-30"}),
    "certification": (
        Kind.CERTIFICATION_EXPIRING,
        {"pharmacy": "Riverside & Co", "certification": "C-1", "valid_until": "2027-04-26"},
    ),
}
# Kinds about a pharmacy, not a patient: an email to the registry, never a text.
NOT_ABOUT_A_PATIENT = {Kind.CERTIFICATION_EXPIRING}
# The patient's own data, never translated.
DATA = ("Alex", "Rivera", "Riverside & Co", "Riverside &amp; Co", "Dana Okoro")


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def spanish(db):
    return PatientFactory(
        first_name="Alex",
        last_name="Rivera",
        email="alex@example.org",
        phone="+34612345678",
        language=Patient.Language.SPANISH,
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.EMAIL,
    )


def reminder_for(patient, case: str, **extra) -> Reminder:
    kind, context = CASES[case]
    about_patient = kind not in NOT_ABOUT_A_PATIENT
    return Reminder.objects.create(
        kind=kind,
        patient=patient if about_patient else None,
        recipient=patient.email if about_patient else "reg.admin@example.org",
        subject_key=f"{case}:1",
        due_at=DUE_AT,
        due_date=DUE_AT.date(),
        context={**context, **extra},
    )


def html_blocks(html: str) -> list[str]:
    """The text of each paragraph (and the title) of an HTML email, its inline tags taken out.

    A message may hold inline markup ("on <strong>%(day)s</strong>"): its marks then open in
    one text node and close in another, so the text is read a paragraph at a time, where the
    marks balance, rather than a text node at a time as unmarked_in_html reads a page."""
    blocks = re.split(r"</?(?:html|head|title|body|p)\b[^>]*>", html)
    return [" ".join(visible_text(block)) for block in blocks if visible_text(block)]


def unmarked_in_email(message) -> dict[str, list[str]]:
    html = message.alternatives[0][0]
    return {
        "subject": unmarked_words([message.subject], DATA),
        "text": unmarked_words(message.body.splitlines(), DATA),
        "html": unmarked_words(html_blocks(html), DATA),
    }


def test_every_kind_has_a_case():
    assert {kind for kind, _context in CASES.values()} == set(Kind)
    assert "appointment" in {kind for kind, _context in CASES.values()}


@pytest.mark.parametrize("case", CASES)
def test_every_reminder_email_is_marked(spanish, monkeypatch, case):
    reminder = reminder_for(spanish, case)
    with marked_translations(monkeypatch):
        message = build_message(reminder)
    assert "⟦" in message.subject  # the check ran on the pseudo-language
    assert_all_marked({f"{case} {part}": w for part, w in unmarked_in_email(message).items()})


@pytest.mark.parametrize("case", [c for c, (k, _) in CASES.items() if k not in NOT_ABOUT_A_PATIENT])
def test_every_reminder_text_message_is_marked(spanish, monkeypatch, case):
    reminder = reminder_for(spanish, case)
    with marked_translations(monkeypatch):
        # The kind's own text, before the one-segment check (the marks are not GSM-7, so
        # text_for would fall back to the generic text here).
        text = kind_text(reminder)
    assert "⟦" in text
    assert_all_marked({case: unmarked_words([text], DATA)})


def test_the_guardians_copy_is_marked(spanish, monkeypatch):
    Guardian.objects.create(
        patient=spanish,
        full_name="Dana Okoro",
        relation=Guardian.Relation.PARENT,
        email="dana.okoro@example.org",
        consent_given=True,
        consent_on=datetime.date(2027, 1, 4),
        receives_reminders=True,
    )
    reminder = reminder_for(spanish, "visit", to="guardian")
    with marked_translations(monkeypatch):
        message = build_message(reminder)
    assert "Dana Okoro" in message.body
    assert_all_marked({f"guardian {part}": w for part, w in unmarked_in_email(message).items()})


def test_the_invitation_email_is_marked(
    spanish, prescriber, monkeypatch, django_capture_on_commit_callbacks
):
    links = []
    with marked_translations(monkeypatch), django_capture_on_commit_callbacks(execute=True):
        registry_services.send_portal_invitation(
            spanish, by=prescriber, build_url=lambda path: links.append(path) or path
        )
    [message] = mail.outbox
    data = (*DATA, "alex@example.org", *links)  # the link is the patient's own
    assert "⟦" in message.subject
    assert_all_marked(
        {
            "subject": unmarked_words([message.subject], data),
            "body": unmarked_words(message.body.splitlines(), data),
        }
    )
