"""Words the patient portal says: the monthly comprehension questions (R16) and what a reminder
preference means in practice.

Written for patients in plain language; the clinical facts come from ../shared/PRODUCT.md
(R4 missed doses, R14 and R16 pregnancy prevention, R18 pregnancy, R20 mood) and the label's
advice on sharing and blood donation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from clinic.reminders.schedule import DAYS_BEFORE_VISIT
from clinic.reminders.sms.setup import sms_set_up
from registry.models import Patient


@dataclass(frozen=True)
class Question:
    key: str
    # Lazy translations: each page shows them in its reader's language.
    text: str | Promise
    choices: tuple[tuple[str, str | Promise], ...]
    correct: str
    explanation: str | Promise  # shown next to a wrong answer

    def is_right(self, answer: str | None) -> bool:
        return answer == self.correct


QUESTIONS: tuple[Question, ...] = (
    Question(
        "pregnancy_risk",
        _(
            "What can happen if you become pregnant while taking this medicine, or in the month "
            "after your last capsule?"
        ),
        (
            ("a", _("Nothing: it does not affect a pregnancy")),
            (
                "b",
                _("The baby can be born with serious birth defects, or the pregnancy can be lost"),
            ),
            ("c", _("Only the acne can come back")),
        ),
        "b",
        _(
            "This medicine can seriously harm an unborn baby, even after a short time. That is "
            "why you must not become pregnant from one month before until one month after "
            "treatment."
        ),
    ),
    Question(
        "two_methods",
        _("For how long do you need to use two forms of contraception together?"),
        (
            ("a", _("Only on the days you take the capsules")),
            ("b", _("From one month before you start until one month after your last capsule")),
            ("c", _("Only during the first month")),
        ),
        "b",
        _(
            "Two forms together, every time, from one month before the first capsule until one "
            "month after the last. One form alone can fail."
        ),
    ),
    Question(
        "sharing",
        _("A friend has bad acne too. May you give them some of your capsules?"),
        (
            ("a", _("Yes, if they are an adult")),
            ("b", _("Yes, if they are sure they are not pregnant")),
            ("c", _("No, never: the medicine is only for you")),
        ),
        "c",
        _(
            "Never share it. It was prescribed for you after checks and tests; for someone else, "
            "and above all for someone who could be pregnant, it can do serious harm. Give back "
            "any capsules you do not use to the pharmacy."
        ),
    ),
    Question(
        "blood_donation",
        _("May you give blood while you take this medicine?"),
        (
            ("a", _("Yes, if you feel well")),
            ("b", _("No: not during treatment and not for one month after your last capsule")),
            ("c", _("Yes, after the first month of treatment")),
        ),
        "b",
        _(
            "Do not give blood during treatment or for one month after it. Your blood could be "
            "given to a pregnant woman and harm her baby."
        ),
    ),
    Question(
        "missed_dose",
        _("You forgot your morning capsules and remember in the evening. What do you do?"),
        (
            ("a", _("Take the morning and the evening capsules together now")),
            ("b", _("Skip the forgotten ones and take only your evening capsules as usual")),
            ("c", _("Take the forgotten ones tomorrow with your next capsules")),
        ),
        "b",
        _("Skip a forgotten dose and go on as planned. Never take two doses at once to catch up."),
    ),
    Question(
        "call_clinic",
        _("When should you call the clinic straight away, without waiting for your next visit?"),
        (
            ("a", _("Only if your lips are dry")),
            (
                "b",
                _(
                    "If you feel very low or think of hurting yourself, if you might be pregnant "
                    "or your period is late, or if you have a bad headache, belly pain or "
                    "changes in your sight"
                ),
            ),
            ("c", _("Never: everything can wait for the next visit")),
        ),
        "b",
        _(
            "Call the clinic the same day for low mood or thoughts of self-harm, a possible "
            "pregnancy (stop taking the capsules at once), a severe headache, belly pain or "
            "sight changes. Dry lips and skin are common and can wait for your visit."
        ),
    ),
)

QUESTIONS_BY_KEY = {question.key: question for question in QUESTIONS}


def wrong_answers(answers: dict) -> list[Question]:
    """The questions `answers` (key -> choice) does not answer right, in question order."""
    return [q for q in QUESTIONS if not q.is_right(answers.get(q.key))]


# Reminder preferences ------------------------------------------------------------------------


def reminder_effect(patient: Patient) -> tuple[bool, list[str]]:
    """(reminders will be sent, what the patient's current preference means in sentences), in
    the active language.

    Follows what the reminder sender does (clinic/reminder_sending.skip_reason): nothing without
    consent, nothing by text message (not set up), nothing without an email address.
    """
    if not patient.reminder_consent:
        return False, [
            gettext("You will get no reminders."),
            gettext(
                "Your visits and pick-up days are still on this site, and in your phone's "
                "calendar if you add your calendar link."
            ),
        ]
    if patient.reminder_channel == Patient.ReminderChannel.SMS and sms_set_up():
        if not patient.phone:
            return False, [
                gettext("You will get no reminders: the clinic has no phone number for you."),
                gettext("Ask the clinic to add your phone number."),
            ]
        return True, [
            # Translators: STOP is the word the text message service understands: keep it.
            gettext(
                "We will text you at %(phone)s before each visit and before your time to "
                "collect from the pharmacy runs out. Reply STOP to any text to stop them."
            )
            % {"phone": patient.phone},
        ]
    if patient.reminder_channel == Patient.ReminderChannel.SMS:
        return False, [
            gettext("You will get no reminders for now: the clinic cannot send text messages yet."),
            gettext("Choose email to get reminders."),
        ]
    if not patient.email:
        return False, [
            gettext("You will get no reminders: the clinic has no email address for you."),
            gettext("Ask the clinic to add your email address."),
        ]
    sentences = [
        ngettext(
            "We will email you at %(email)s %(days)s day before each visit and on the morning "
            "of the visit.",
            "We will email you at %(email)s %(days)s days before each visit and on the morning "
            "of the visit.",
            DAYS_BEFORE_VISIT,
        )
        % {"email": patient.email, "days": DAYS_BEFORE_VISIT},
        gettext("We will email you before your time to collect from the pharmacy runs out."),
    ]
    if patient.can_get_pregnant:
        sentences.append(
            ngettext(
                "%(days)s day before each visit we will also remind you of your check-up "
                "appointment and your monthly confirmation.",
                "%(days)s days before each visit we will also remind you of your check-up "
                "appointment and your monthly confirmation.",
                DAYS_BEFORE_VISIT,
            )
            % {"days": DAYS_BEFORE_VISIT}
        )
    sentences.append(
        gettext(
            "The emails give the date and the place only: never your medicine, your dose or any "
            "result."
        )
    )
    return True, sentences
