"""Words the patient portal says: the monthly comprehension questions (R16) and what a reminder
preference means in practice.

Written for patients in plain language; the clinical facts come from ../shared/PRODUCT.md
(R4 missed doses, R14 and R16 pregnancy prevention, R18 pregnancy, R20 mood) and the label's
advice on sharing and blood donation.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic.reminders.schedule import DAYS_BEFORE_VISIT
from clinic.reminders.sms.setup import sms_set_up
from registry.models import Patient


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    choices: tuple[tuple[str, str], ...]
    correct: str
    explanation: str  # shown next to a wrong answer

    def is_right(self, answer: str | None) -> bool:
        return answer == self.correct


QUESTIONS: tuple[Question, ...] = (
    Question(
        "pregnancy_risk",
        "What can happen if you become pregnant while taking this medicine, or in the month "
        "after your last capsule?",
        (
            ("a", "Nothing: it does not affect a pregnancy"),
            ("b", "The baby can be born with serious birth defects, or the pregnancy can be lost"),
            ("c", "Only the acne can come back"),
        ),
        "b",
        "This medicine can seriously harm an unborn baby, even after a short time. That is why "
        "you must not become pregnant from one month before until one month after treatment.",
    ),
    Question(
        "two_methods",
        "For how long do you need to use two forms of contraception together?",
        (
            ("a", "Only on the days you take the capsules"),
            ("b", "From one month before you start until one month after your last capsule"),
            ("c", "Only during the first month"),
        ),
        "b",
        "Two forms together, every time, from one month before the first capsule until one "
        "month after the last. One form alone can fail.",
    ),
    Question(
        "sharing",
        "A friend has bad acne too. May you give them some of your capsules?",
        (
            ("a", "Yes, if they are an adult"),
            ("b", "Yes, if they are sure they are not pregnant"),
            ("c", "No, never: the medicine is only for you"),
        ),
        "c",
        "Never share it. It was prescribed for you after checks and tests; for someone else, "
        "and above all for someone who could be pregnant, it can do serious harm. Give back "
        "any capsules you do not use to the pharmacy.",
    ),
    Question(
        "blood_donation",
        "May you give blood while you take this medicine?",
        (
            ("a", "Yes, if you feel well"),
            ("b", "No: not during treatment and not for one month after your last capsule"),
            ("c", "Yes, after the first month of treatment"),
        ),
        "b",
        "Do not give blood during treatment or for one month after it. Your blood could be "
        "given to a pregnant woman and harm her baby.",
    ),
    Question(
        "missed_dose",
        "You forgot your morning capsules and remember in the evening. What do you do?",
        (
            ("a", "Take the morning and the evening capsules together now"),
            ("b", "Skip the forgotten ones and take only your evening capsules as usual"),
            ("c", "Take the forgotten ones tomorrow with your next capsules"),
        ),
        "b",
        "Skip a forgotten dose and go on as planned. Never take two doses at once to catch up.",
    ),
    Question(
        "call_clinic",
        "When should you call the clinic straight away, without waiting for your next visit?",
        (
            ("a", "Only if your lips are dry"),
            (
                "b",
                "If you feel very low or think of hurting yourself, if you might be pregnant or "
                "your period is late, or if you have a bad headache, belly pain or changes in "
                "your sight",
            ),
            ("c", "Never: everything can wait for the next visit"),
        ),
        "b",
        "Call the clinic the same day for low mood or thoughts of self-harm, a possible "
        "pregnancy (stop taking the capsules at once), a severe headache, belly pain or sight "
        "changes. Dry lips and skin are common and can wait for your visit.",
    ),
)

QUESTIONS_BY_KEY = {question.key: question for question in QUESTIONS}


def wrong_answers(answers: dict) -> list[Question]:
    """The questions `answers` (key -> choice) does not answer right, in question order."""
    return [q for q in QUESTIONS if not q.is_right(answers.get(q.key))]


# Reminder preferences ------------------------------------------------------------------------


def reminder_effect(patient: Patient) -> tuple[bool, list[str]]:
    """(reminders will be sent, what the patient's current preference means in sentences).

    Follows what the reminder sender does (clinic/reminder_sending.skip_reason): nothing without
    consent, nothing by text message (not set up), nothing without an email address.
    """
    if not patient.reminder_consent:
        return False, [
            "You will get no reminders.",
            "Your visits and pick-up days are still on this site, and in your phone's calendar "
            "if you add your calendar link.",
        ]
    if patient.reminder_channel == Patient.ReminderChannel.SMS and sms_set_up():
        if not patient.phone:
            return False, [
                "You will get no reminders: the clinic has no phone number for you.",
                "Ask the clinic to add your phone number.",
            ]
        return True, [
            f"We will text you at {patient.phone} before each visit and before your time to "
            "collect from the pharmacy runs out. Reply STOP to any text to stop them.",
        ]
    if patient.reminder_channel == Patient.ReminderChannel.SMS:
        return False, [
            "You will get no reminders for now: the clinic cannot send text messages yet.",
            "Choose email to get reminders.",
        ]
    if not patient.email:
        return False, [
            "You will get no reminders: the clinic has no email address for you.",
            "Ask the clinic to add your email address.",
        ]
    sentences = [
        f"We will email you at {patient.email} {DAYS_BEFORE_VISIT} days before each visit and "
        "on the morning of the visit.",
        "We will email you before your time to collect from the pharmacy runs out.",
    ]
    if patient.can_get_pregnant:
        sentences.append(
            f"{DAYS_BEFORE_VISIT} days before each visit we will also remind you of your "
            "check-up appointment and your monthly confirmation."
        )
    sentences.append(
        "The emails give the date and the place only: never your medicine, your dose or any result."
    )
    return True, sentences
