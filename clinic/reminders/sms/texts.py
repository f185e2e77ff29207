"""The text of each reminder by SMS: one short text per kind, at most 160 GSM-7 characters
(one SMS segment), without health details (PRODUCT.md, "What reminders may say"): a visit, a
check-up, the pharmacy or the website, a day, never the medicine, a dose or a test. No name
either: a text shows on a lock screen, and a name could leave GSM-7 or the 160 characters.
Dates are days in the clinic's time zone ("Tue 30 Mar").

Each text is written in the patient's language (Patient.language; recipients.language_of),
with Django's own day and month names. Spanish á í ó ú (and capitals) are not in GSM-7, which
has é ñ ü ¿ ¡: a text with one would cost a 70-character UCS-2 segment or more, so in texts
only those four vowels lose their accent (SMS_LETTERS), as Spanish texts commonly do, before
the one-segment check. The generic text is the fallback only for a kind without a text or a
text that still does not fit."""

from __future__ import annotations

import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext, gettext_noop, pgettext

from clinic.reminders.models import Reminder
from clinic.reminders.recipients import language_of

Kind = Reminder.Kind
LIMIT = 160
# The provider's STOP keyword is fixed: every translation keeps the word STOP as it is.
STOP = gettext_noop("Reply STOP to stop texts.")
GENERIC = gettext_noop(
    "Reminder from the clinic: please look at the clinic's website for what is next."
)

# GSM 03.38 basic character set: a text only in these costs 1 segment per 160 characters.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The letters of Spanish outside GSM-7, written without their accent in a text (only there).
SMS_LETTERS = str.maketrans("áíóúÁÍÓÚ", "aiouAIOU")


def is_gsm7(text: str) -> bool:
    return set(text) <= GSM7


def sms_letters(text: str) -> str:
    """`text` with á í ó ú Á Í Ó Ú written as a i o u A I O U (see SMS_LETTERS)."""
    return text.translate(SMS_LETTERS)


def _day(value) -> str:
    day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
    # Translators: the date in a text message, as Django's date filter formats it
    # (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date): "Tue 30 Mar".
    # Keep it short: the whole text must fit 160 characters.
    return formats.date_format(day, pgettext("date in a text message", "D j M"))


def _is_today(reminder: Reminder, key: str) -> bool:
    value = reminder.context.get(key)
    return bool(value) and datetime.date.fromisoformat(value) == timezone.localdate(reminder.due_at)


def _visit(r):
    if _is_today(r, "visit_on"):
        return gettext("Reminder: you have a visit at the clinic today.")
    return gettext("Reminder: you have a visit at the clinic on %(day)s.") % {
        "day": _day(r.context.get("visit_on"))
    }


def _check_up(r):
    if r.context.get("reason") != "course_end":
        return gettext(
            "Reminder: a check-up appointment at the clinic is due before your visit on "
            "%(day)s. Call the clinic to book it."
        ) % {"day": _day(r.context["visit_on"])}
    if _is_today(r, "test_on"):
        return gettext(
            "Reminder: a check-up appointment at the clinic is due today. Call the clinic to "
            "book it."
        )
    return gettext(
        "Reminder: a check-up appointment at the clinic is due on %(day)s. Call the clinic to "
        "book it."
    ) % {"day": _day(r.context.get("test_on"))}


def _pick_up(r):
    return gettext("Reminder: please collect from the pharmacy by %(day)s.") % {
        "day": _day(r.context["window_closes"])
    }


def _confirmation(r):
    return gettext(
        "Reminder: please complete your monthly confirmation on the clinic's website before "
        "%(day)s."
    ) % {"day": _day(r.context["visit_on"])}


def _labs(r):
    return gettext(
        "Reminder: a check-up appointment at the clinic is due by %(day)s. Call the clinic to "
        "book it."
    ) % {"day": _day(r.context["come_by_on"])}


def _appointment(r):
    at = r.context.get("at", "")
    if _is_today(r, "appointment_on"):
        if at:
            return gettext("Reminder: you have an appointment at the clinic today at %(time)s.") % {
                "time": at
            }
        return gettext("Reminder: you have an appointment at the clinic today.")
    day = _day(r.context.get("appointment_on"))
    if at:
        return gettext(
            "Reminder: you have an appointment at the clinic on %(day)s at %(time)s."
        ) % {"day": day, "time": at}
    return gettext("Reminder: you have an appointment at the clinic on %(day)s.") % {"day": day}


TEXTS = {
    Kind.FOLLOW_UP_VISIT: _visit,
    Kind.PREGNANCY_TEST_DUE: _check_up,
    Kind.PICK_UP_CLOSING: _pick_up,
    Kind.MONTHLY_CONFIRMATION: _confirmation,
    Kind.MONTH_TWO_LABS: _labs,
    "appointment": _appointment,
}


def kind_text(reminder: Reminder) -> str:
    """The kind's own text (the generic one for a kind without one), STOP line included, in
    the patient's language and letters for a text; not yet checked to fit one segment."""
    with (
        translation.override(language_of(reminder)),
        timezone.override(timezone.get_default_timezone()),
    ):
        make = TEXTS.get(reminder.kind)
        text = make(reminder) if make else gettext(GENERIC)
        return sms_letters(f"{text} {gettext(STOP)}")


def generic_text(reminder: Reminder) -> str:
    """The generic text with the STOP line, in the patient's language."""
    with translation.override(language_of(reminder)):
        return sms_letters(f"{gettext(GENERIC)} {gettext(STOP)}")


def text_for(reminder: Reminder) -> str:
    """The whole text, STOP line included; the generic text when a kind has none here, or when
    the kind's text would not fit one GSM-7 segment (never cut mid-sentence)."""
    text = kind_text(reminder)
    if len(text) > LIMIT or not is_gsm7(text):
        text = generic_text(reminder)
    return text
