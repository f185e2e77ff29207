"""Sending due reminders: claim, record the attempt, send, record the outcome.

At least once, never twice at the same time: a row is claimed (status scheduled -> in_flight,
attempts + 1) before its message is sent, by SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL
or a conditional UPDATE per row on SQLite, so two senders running at once never claim one row
twice. A failure schedules a retry with backoff (1, 5, 25 minutes); after the 4th attempt the
row is failed and listed for staff. A sender that dies mid-send leaves the row in flight; the
sweeper returns it to the queue after 10 minutes (it may then be sent a second time: the
message was possibly already handed to the mail server, which no database can know).

Messages carry no health details (PRODUCT.md, "What reminders may say"): the templates in
templates/reminders/email/ name a visit, a date, a check-up or a pharmacy, never the drug, a dose
or a test result, and every date is a day in the clinic's time zone.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from dataclasses import asdict, dataclass
from email.utils import parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import pgettext

from clinic.reminders.db_outage import outlasting_outages
from clinic.reminders.models import Reminder
from clinic.reminders.recipients import (
    greeting_name,
    guardian_skip_reason,
    language_of,
    to_guardian,
)
from clinic.reminders.sms.base import PermanentSmsError
from clinic.reminders.sms.setup import sms_sender, sms_set_up
from clinic.reminders.sms.texts import text_for
from dosing.models import Dispense, Prescription, TreatmentCourse
from registry.models import Patient, PharmacyCertification

logger = logging.getLogger(__name__)

Status = Reminder.Status
Kind = Reminder.Kind

MAX_ATTEMPTS = 4
BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=25),
)
STUCK_AFTER = datetime.timedelta(minutes=10)
CLAIM_CHUNK = 10  # rows claimed at a time, so a slow mail server holds few rows in flight
TIME_BUDGET_SECONDS = 120.0  # well inside the Celery soft time limit (240 s)
ERROR_LENGTH = 1000

NO_CONSENT = "no reminder consent"
SMS_NOT_SET_UP = "SMS is not set up; no message sent"
NO_PHONE = "no phone number on record for text messages"
NO_EMAIL = "no email address on record"
WITHDRAWN = "the patient is withdrawn from the registry"
ALREADY_DISPENSED = "already dispensed; nothing left to pick up"
COURSE_NOT_ACTIVE = "the course is no longer active"
LABS_DRAWN = "the month-2 labs are on file"
VOIDED = "the prescription was voided; there is nothing to pick up"
CERTIFICATION_CHANGED = "the certification was renewed, suspended or revoked since"


@dataclass
class SendRun:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def due_q(now: datetime.datetime) -> Q:
    return Q(status=Status.SCHEDULED, due_at__lte=now) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def claim_due(now: datetime.datetime, limit: int) -> list[int]:
    """Claim up to `limit` due rows for this sender: in flight, claimed now, attempt counted.

    Returns the claimed primary keys; no other sender gets any of them.
    """
    due = Reminder.objects.filter(due_q(now)).order_by("due_at", "pk")
    claim = {"status": Status.IN_FLIGHT, "claimed_at": now, "attempts": F("attempts") + 1}
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            if pks:
                Reminder.objects.filter(pk__in=pks).update(**claim)
        return pks
    # SQLite: select_for_update() has no effect; the conditional UPDATE decides. It changes
    # one row for exactly one of two senders; the other sees 0 and moves on. If other senders
    # took every candidate, read again: an empty list must mean that nothing is due (each lost
    # candidate is in flight now, so the loop ends).
    # One transaction per pass: when the database goes away half way through the candidates
    # (a lock held past the busy timeout), the rows already claimed roll back with it and the
    # retry claims them again. In autocommit they stayed in flight, returned to no sender,
    # until the sweeper (seen: 7 of 1,500 in tests/reliability/test_database_restart.py).
    while candidates := list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            claimed = [
                pk
                for pk in candidates
                if Reminder.objects.filter(due_q(now), pk=pk).update(**claim) == 1
            ]
        if claimed:
            return claimed
    return []


def send_due_reminders(
    now: datetime.datetime | None = None,
    batch: int = 100,
    *,
    time_budget: float = TIME_BUDGET_SECONDS,
) -> SendRun:
    """Send up to `batch` due reminders, claiming them a few at a time.

    Stops early when nothing more is due or after `time_budget` seconds; rows claimed but not
    yet tried then go back to the queue with their attempt uncounted. Safe to run in several
    processes at once and to re-run: only scheduled rows are claimed.
    """
    run = SendRun()
    deadline = time.monotonic() + time_budget
    while run.claimed < batch and time.monotonic() < deadline:
        clock = now or timezone.now()
        limit = min(CLAIM_CHUNK, batch - run.claimed)
        pks = outlasting_outages(claim_due, clock, limit, what="claiming reminders")
        if not pks:
            break
        run.claimed += len(pks)
        _send_claimed(pks, clock, run, deadline, fixed_now=now)
    if run.claimed:
        logger.info("reminders: %s", run.as_dict())
    return run


def _send_claimed(pks, clock, run: SendRun, deadline: float, *, fixed_now) -> None:
    reminders = outlasting_outages(
        lambda: list(
            Reminder.objects.filter(pk__in=pks, status=Status.IN_FLIGHT)
            .select_related("patient")
            .order_by("due_at", "pk")
        ),
        what="reading claimed reminders",
    )
    mail = get_connection()
    # One SMTP session for the whole chunk: opening one per message cost most of the time
    # (bench/reminders_rate.py). After an error the session is closed and each later message
    # opens its own, so one bad message cannot break the rest.
    with contextlib.suppress(Exception):
        mail.open()
    try:
        for index, reminder in enumerate(reminders):
            if time.monotonic() >= deadline:
                run.released += _release([r.pk for r in reminders[index:]])
                return
            try:
                _send_one(reminder, mail, clock, run, fixed_now=fixed_now)
            except SoftTimeLimitExceeded:
                run.released += _release([r.pk for r in reminders[index + 1 :]])
                raise
    finally:
        _close_quietly(mail)


def _send_one(reminder: Reminder, mail, clock, run: SendRun, *, fixed_now) -> None:
    reason = outlasting_outages(skip_reason, reminder, what="checking a reminder")
    if reason:
        # Nothing was attempted: the claim's count is taken back, the reason shown to staff.
        _finish(
            reminder,
            status=Status.SKIPPED,
            last_error=reason,
            attempts=F("attempts") - 1,
            next_attempt_at=None,
        )
        run.skipped += 1
        return
    texted = {}  # a text: where it went and the provider's id, kept in the row's context
    try:
        if by_text(reminder):
            texted = {
                **reminder.context,
                "channel": "sms",
                "sms_to": reminder.patient.phone.as_e164,
            }
            texted["provider_id"] = send_text(reminder)
        else:
            build_message(reminder, connection=mail).send()
    except SoftTimeLimitExceeded:
        _record_failure(reminder, "stopped by the task time limit", clock, run)
        raise
    except PermanentSmsError as exc:  # the provider refused this text: again would be refused
        _finish(
            reminder,
            status=Status.FAILED,
            last_error=f"refused by the SMS provider: {exc}"[:ERROR_LENGTH],
            next_attempt_at=None,
            context=texted,
        )
        run.failed += 1
        return
    except Exception as exc:  # any transport or template error: retry, then fail
        _close_quietly(mail)  # a broken SMTP session must not fail the next messages
        _record_failure(reminder, f"{type(exc).__name__}: {exc}", clock, run)
        return
    _finish(
        reminder,
        status=Status.SENT,
        sent_at=fixed_now or timezone.now(),
        next_attempt_at=None,
        **({"context": texted} if texted else {}),
    )
    run.sent += 1


def _finish(reminder: Reminder, **changes) -> int:
    """Record the outcome of the attempt this sender claimed (the row is still in flight).

    Waits for the database if it is away: after a send, a row left in flight would be sent
    again once swept. Conditional on in flight, so a repeat after a lost reply changes nothing.
    """
    return outlasting_outages(
        lambda: Reminder.objects.filter(pk=reminder.pk, status=Status.IN_FLIGHT).update(**changes),
        what="recording a reminder's outcome",
    )


def _record_failure(reminder: Reminder, error: str, clock, run: SendRun) -> None:
    error = error[:ERROR_LENGTH]
    if reminder.attempts >= MAX_ATTEMPTS:
        _finish(reminder, status=Status.FAILED, last_error=error, next_attempt_at=None)
        run.failed += 1
        logger.warning("reminder %s failed after %s attempts", reminder.pk, reminder.attempts)
        return
    wait = BACKOFF[min(max(reminder.attempts, 1), len(BACKOFF)) - 1]
    _finish(
        reminder,
        status=Status.SCHEDULED,
        last_error=error,
        next_attempt_at=clock + wait,
    )
    run.retried += 1


def _release(pks: list[int]) -> int:
    """Claimed but not tried: back to the queue, attempt not counted."""
    if not pks:
        return 0
    return outlasting_outages(
        lambda: Reminder.objects.filter(pk__in=pks, status=Status.IN_FLIGHT).update(
            status=Status.SCHEDULED, attempts=F("attempts") - 1, claimed_at=None
        ),
        what="returning reminders to the queue",
    )


def _close_quietly(mail) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection may fail too
        mail.close()


def sweep_stuck_reminders(now: datetime.datetime | None = None) -> int:
    """Return rows in flight for more than 10 minutes to the queue, in one UPDATE.

    A sender died between claiming and recording the outcome. A row that has already used its
    last attempt is marked failed instead, so a message that kills its sender every time does
    not loop forever.
    """
    now = now or timezone.now()
    exhausted = Q(attempts__gte=MAX_ATTEMPTS)
    count = Reminder.objects.filter(
        status=Status.IN_FLIGHT, claimed_at__lt=now - STUCK_AFTER
    ).update(
        status=Case(When(exhausted, then=Value(Status.FAILED)), default=Value(Status.SCHEDULED)),
        last_error=Case(
            When(
                exhausted,
                then=Value(f"The sender stopped while sending, {MAX_ATTEMPTS} times; not retried."),
            ),
            default=Value("The sender stopped while sending; returned to the queue."),
        ),
        next_attempt_at=None,
    )
    if count:
        logger.warning("reminders: %s stuck in flight returned to the queue", count)
    return count


# What is sent ------------------------------------------------------------------------------


def skip_reason(reminder: Reminder) -> str:
    """Why this reminder must not be sent now (empty: send it)."""
    patient = reminder.patient
    if patient is not None:
        if to_guardian(reminder):
            # The guardian's copy: the guardian's own choice decides, not the patient's consent.
            if reason := guardian_skip_reason(reminder):
                return reason
        elif not patient.reminder_consent:
            return NO_CONSENT
        elif patient.reminder_channel == Patient.ReminderChannel.SMS:
            if not sms_set_up():
                return SMS_NOT_SET_UP
            if not patient.phone:
                return NO_PHONE
        if patient.status == Patient.Status.WITHDRAWN:
            return WITHDRAWN
    if not reminder.recipient and not by_text(reminder):
        return NO_EMAIL
    subject_type, _, subject_pk = reminder.subject_key.partition(":")
    if reminder.kind == Kind.PICK_UP_CLOSING and subject_type == "prescription":
        if Dispense.objects.live().filter(prescription_id=subject_pk).exists():
            return ALREADY_DISPENSED
        # Checked again at the moment of sending: a replaced or voided prescription must not
        # send the patient to a pharmacy that would refuse it.
        if Prescription.objects.filter(pk=subject_pk, voided_at__isnull=False).exists():
            return VOIDED
        if not TreatmentCourse.objects.filter(
            prescriptions__pk=subject_pk, status=TreatmentCourse.Status.ACTIVE
        ).exists():
            return COURSE_NOT_ACTIVE
    if reminder.kind == Kind.MONTH_TWO_LABS and subject_type == "course":
        # Checked again when due: labs entered by a path that sent no signal still count.
        course = TreatmentCourse.objects.filter(pk=subject_pk).values("status", "month_two_labs_on")
        course = course.first() or {}
        if course.get("status") != TreatmentCourse.Status.ACTIVE:
            return COURSE_NOT_ACTIVE
        if course.get("month_two_labs_on") is not None:
            return LABS_DRAWN
    if reminder.kind == Kind.CERTIFICATION_EXPIRING and subject_type == "pharmacy":
        still = PharmacyCertification.objects.filter(
            pharmacy_id=subject_pk,
            status=PharmacyCertification.Status.CERTIFIED,
            valid_until=reminder.context.get("valid_until"),
        )
        if not still.exists():
            return CERTIFICATION_CHANGED
    return ""


def by_text(reminder: Reminder) -> bool:
    """The patient's own copy, for a patient who chose text messages. A guardian's copy goes
    by email (the guardian's own address), whatever the patient chose."""
    patient = reminder.patient
    return (
        patient is not None
        and not to_guardian(reminder)
        and patient.reminder_channel == Patient.ReminderChannel.SMS
    )


def send_text(reminder: Reminder) -> str:
    """Hand the reminder's text to the SMS provider, to the patient's number as it is now;
    returns the provider's message id. Raises SmsError (PermanentSmsError: do not retry)."""
    sender = sms_sender()
    if sender is None:  # SMS_PROVIDER_URL removed between the check and the send
        raise PermanentSmsError(SMS_NOT_SET_UP)
    return sender.send(reminder.patient.phone.as_e164, text_for(reminder))


def message_context(reminder: Reminder) -> dict:
    """What the templates may use: dates as dates (days in the clinic's zone), names, and the
    formats the dates are written in, in the active language (build_message: the patient's)."""
    context = {}
    for key, value in reminder.context.items():
        if key.endswith(("_on", "_closes", "_until")) and isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        context[key] = value
    context["due_on"] = timezone.localdate(reminder.due_at)
    # A guardian's copy greets the guardian, not the patient (clinic/reminders/recipients.py).
    context["first_name"] = greeting_name(reminder)
    # ... and says whose appointments they are, by the patient's first name only.
    context["guardian_of"] = reminder.patient.first_name if to_guardian(reminder) else ""
    # Translators: date formats of the reminder emails, as Django's date filter reads them
    # (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date): "Tuesday 30
    # March 2027", "Tuesday 30 March" (subjects), "30 April 2027".
    context["day_format"] = pgettext("date in a reminder email", "l j F Y")
    context["subject_day_format"] = pgettext("date in a reminder email", "l j F")
    context["date_format"] = pgettext("date in a reminder email", "j F Y")
    return context


def message_id(reminder: Reminder, from_email: str) -> str:
    """The same Message-ID every time this reminder is sent: delivery is at least once (a
    sender killed after the mail server accepted the message sends it again after the sweep),
    and a repeat with the same Message-ID can be recognised as one message."""
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "clinic.invalid"
    return f"<reminder-{reminder.pk}@{domain}>"


def build_message(reminder: Reminder, connection=None) -> EmailMultiAlternatives:
    base = f"reminders/email/reminder_{reminder.kind}"
    # In the patient's language (the guardian's copy too: recipients.language_of), whatever
    # language the process that sends it has active.
    with (
        translation.override(language_of(reminder)),
        timezone.override(timezone.get_default_timezone()),
    ):
        context = message_context(reminder)
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    from_email = getattr(settings, "REMINDER_FROM_EMAIL", settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[reminder.recipient],
        connection=connection,
        headers={
            "Auto-Submitted": "auto-generated",
            "Message-ID": message_id(reminder, from_email),
        },
    )
    message.attach_alternative(html, "text/html")
    return message
