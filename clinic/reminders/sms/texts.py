"""The text of each reminder by SMS: one short text per kind, at most 160 GSM-7 characters
(one SMS segment), without health details (PRODUCT.md, "What reminders may say"): a visit, a
check-up, the pharmacy or the website, a day, never the medicine, a dose or a test. No name
either: a text shows on a lock screen, and a name could leave GSM-7 or the 160 characters.
Dates are days in the clinic's time zone ("Tue 30 Mar")."""

from __future__ import annotations

import datetime

from django.utils import timezone

from clinic.reminders.models import Reminder

Kind = Reminder.Kind
LIMIT = 160
STOP = " Reply STOP to stop texts."
GENERIC = "Reminder from the clinic: please look at the clinic's website for what is next."

# GSM 03.38 basic character set: a text only in these costs 1 segment per 160 characters.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def is_gsm7(text: str) -> bool:
    return set(text) <= GSM7


def _day(value) -> str:
    day = datetime.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%a} {day.day} {day:%b}"


def _on_or_today(reminder: Reminder, key: str) -> str:
    value = reminder.context.get(key)
    if value and datetime.date.fromisoformat(value) == timezone.localdate(reminder.due_at):
        return "today"
    return f"on {_day(value)}"


def _visit(r):
    return f"Reminder: you have a visit at the clinic {_on_or_today(r, 'visit_on')}."


def _check_up(r):
    if r.context.get("reason") == "course_end":
        when = f"is due {_on_or_today(r, 'test_on')}"
    else:
        when = f"is due before your visit on {_day(r.context['visit_on'])}"
    return f"Reminder: a check-up appointment at the clinic {when}. Call the clinic to book it."


def _pick_up(r):
    return f"Reminder: please collect from the pharmacy by {_day(r.context['window_closes'])}."


def _confirmation(r):
    return (
        "Reminder: please complete your monthly confirmation on the clinic's website before "
        f"{_day(r.context['visit_on'])}."
    )


def _labs(r):
    return (
        f"Reminder: a check-up appointment at the clinic is due by "
        f"{_day(r.context['come_by_on'])}. Call the clinic to book it."
    )


def _appointment(r):
    at = r.context.get("at", "")
    return (
        f"Reminder: you have an appointment at the clinic {_on_or_today(r, 'appointment_on')}"
        + (f" at {at}." if at else ".")
    )


TEXTS = {
    Kind.FOLLOW_UP_VISIT: _visit,
    Kind.PREGNANCY_TEST_DUE: _check_up,
    Kind.PICK_UP_CLOSING: _pick_up,
    Kind.MONTHLY_CONFIRMATION: _confirmation,
    Kind.MONTH_TWO_LABS: _labs,
    "appointment": _appointment,
}


def text_for(reminder: Reminder) -> str:
    """The whole text, STOP line included; the generic text when a kind has none here, or when
    the kind's text would not fit one GSM-7 segment (never cut mid-sentence)."""
    with timezone.override(timezone.get_default_timezone()):
        make = TEXTS.get(reminder.kind)
        text = (make(reminder) if make else GENERIC) + STOP
    if len(text) > LIMIT or not is_gsm7(text):
        text = GENERIC + STOP
    return text
