"""Sending reminders: claimed once, the attempt recorded before sending, retried with backoff,
failed after the last try, skipped without consent, swept back when stuck; messages without
health details and with dates in the clinic's zone."""

import datetime
import pickle
import smtplib
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.monitoring import tasks as monitoring_tasks
from clinic.reminders import sending as reminder_sending
from clinic.reminders import tasks
from clinic.reminders.models import Reminder
from clinic.reminders.schedule import schedule_prescription_reminders
from clinic.reminders.sending import (
    build_message,
    claim_due,
    send_due_reminders,
    sweep_stuck_reminders,
)
from dosing import services
from dosing.models import Prescription
from registry.models import Patient, PharmacyCertification
from tests.factories import PatientFactory

UTC = datetime.UTC
LONDON = ZoneInfo("Europe/London")
Kind, Status = Reminder.Kind, Reminder.Status
MINUTE = datetime.timedelta(minutes=1)
# Saturday 27 March 2027, just after 08:00 in London (winter time, the day before BST).
NOW = datetime.datetime(2027, 3, 27, 8, 0, 30, tzinfo=UTC)

FORBIDDEN = (
    "isotretinoin",
    "accutane",
    "absorica",
    "claravis",
    "mg",
    "pregnan",
    "dose",
    "capsule",
    "contracept",
    "acne",
    "retinoid",
    "negative",
    "positive",
)


class BrokenBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


BROKEN = f"{__name__}.BrokenBackend"


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def alex(db):
    return PatientFactory(
        first_name="Alex",
        last_name="Rivera",
        email="alex@example.org",
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.EMAIL,
    )


def due(patient, kind=Kind.FOLLOW_UP_VISIT, *, due_at=NOW - MINUTE, subject="visit:1", **context):
    context = context or {"visit_on": "2027-03-30"}
    return Reminder.objects.create(
        kind=kind,
        patient=patient,
        recipient=patient.email if patient else "reg.admin@example.org",
        subject_key=subject,
        due_at=due_at,
        due_date=due_at.astimezone(LONDON).date(),
        context=context,
    )


def fresh(reminder):
    reminder.refresh_from_db()
    return reminder


def assert_no_health_details(*texts):
    for text in texts:
        lowered = text.lower()
        for word in FORBIDDEN:
            assert word not in lowered, f"{word!r} in {text!r}"


# Sending -----------------------------------------------------------------------------------


def test_a_due_reminder_is_sent_and_logged(alex):
    reminder = due(alex)
    run = send_due_reminders(now=NOW)
    assert run.as_dict() == {
        "claimed": 1,
        "sent": 1,
        "skipped": 0,
        "retried": 0,
        "failed": 0,
        "released": 0,
    }
    reminder = fresh(reminder)
    assert reminder.status == Status.SENT
    assert reminder.sent_at == NOW
    assert reminder.claimed_at == NOW
    assert reminder.attempts == 1
    [message] = mail.outbox
    assert message.to == ["alex@example.org"]
    assert message.subject == "Reminder: your visit at the clinic on Tuesday 30 March"
    assert "Hello Alex," in message.body
    assert "You have a visit at the clinic on Tuesday 30 March 2027." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>Tuesday 30 March 2027</strong>" in html
    assert_no_health_details(message.subject, message.body, html)
    # Sent means sent: the next run finds nothing.
    assert send_due_reminders(now=NOW + MINUTE).claimed == 0
    assert len(mail.outbox) == 1


CONTEXTS = {
    "visit": (Kind.FOLLOW_UP_VISIT, {"visit_on": "2027-03-30"}),
    "test before a visit": (
        Kind.PREGNANCY_TEST_DUE,
        {"visit_on": "2027-03-30", "reason": "visit"},
    ),
    "test after a course": (
        Kind.PREGNANCY_TEST_DUE,
        {"test_on": "2027-04-20", "reason": "course_end"},
    ),
    "pick-up": (Kind.PICK_UP_CLOSING, {"window_closes": "2027-03-29"}),
    "confirmation": (Kind.MONTHLY_CONFIRMATION, {"visit_on": "2027-03-30"}),
    "appointment": (Kind.APPOINTMENT, {"appointment_on": "2027-03-30", "at": "10:00"}),
    "certification": (
        Kind.CERTIFICATION_EXPIRING,
        {"pharmacy": "Riverside & Co", "certification": "C-1", "valid_until": "2027-04-26"},
    ),
}


@pytest.mark.parametrize("case", CONTEXTS)
def test_no_message_carries_health_details(alex, case):
    """A phone's lock screen shows the subject and the first lines: no drug, dose or test."""
    kind, context = CONTEXTS[case]
    patient = None if kind == Kind.CERTIFICATION_EXPIRING else alex
    message = build_message(due(patient, kind, **context))
    html = message.alternatives[0][0]
    assert message.subject
    assert "\n" not in message.subject
    assert_no_health_details(message.subject, message.body, html)
    day = {"2027-03-30": "30 March", "2027-04-20": "20 April", "2027-03-29": "29 March"}
    for iso, words in day.items():
        if iso in context.values():
            assert words in message.subject
            assert words in message.body
    if kind == Kind.PREGNANCY_TEST_DUE:
        assert "check-up appointment" in message.subject
        assert "a test" in message.body
    if kind == Kind.CERTIFICATION_EXPIRING:
        assert "Riverside & Co" in message.subject  # plain text, not HTML-escaped
        assert "Riverside &amp; Co" in html
        assert "26 April 2027" in message.body


def test_the_day_in_the_message_is_the_clinic_s_day(alex):
    """Due 23:30 UTC on 29 March 2027 is 00:30 on 30 March in London (summer time)."""
    reminder = due(alex, due_at=datetime.datetime(2027, 3, 29, 23, 30, tzinfo=UTC))
    assert build_message(reminder).subject == "Reminder: your visit at the clinic is today"


def test_the_morning_of_reminder_says_today(alex):
    due(alex, due_at=datetime.datetime(2027, 3, 30, 7, 0, tzinfo=UTC))
    send_due_reminders(now=datetime.datetime(2027, 3, 30, 7, 0, tzinfo=UTC))
    [message] = mail.outbox
    assert message.subject == "Reminder: your visit at the clinic is today"
    assert "You have a visit at the clinic today, Tuesday 30 March 2027." in message.body


def test_only_due_rows_are_sent(alex):
    later = due(alex, subject="visit:2", due_at=NOW + MINUTE)
    waiting = due(alex, subject="visit:3")
    Reminder.objects.filter(pk=waiting.pk).update(next_attempt_at=NOW + MINUTE)
    cancelled = due(alex, subject="visit:4")
    Reminder.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED)
    assert send_due_reminders(now=NOW).claimed == 0
    assert fresh(later).status == Status.SCHEDULED
    assert send_due_reminders(now=NOW + MINUTE).sent == 2


def test_a_batch_sends_at_most_its_size_oldest_first(alex):
    rows = [due(alex, subject=f"visit:{n}", due_at=NOW - n * MINUTE) for n in range(1, 16)]
    assert send_due_reminders(now=NOW, batch=10).sent == 10
    sent = set(Reminder.objects.filter(status=Status.SENT).values_list("pk", flat=True))
    assert sent == {r.pk for r in rows[5:]}  # the 10 due longest ago


def test_a_run_out_of_time_puts_back_what_it_claimed_and_did_not_try(alex):
    reminder = due(alex)
    run = send_due_reminders(now=NOW, time_budget=0)
    assert run.claimed == 0
    # Claimed, then out of time before sending: back in the queue, attempt not counted.
    assert reminder_sending._release(claim_due(NOW, 10)) == 1
    reminder = fresh(reminder)
    assert (reminder.status, reminder.attempts, reminder.claimed_at) == (Status.SCHEDULED, 0, None)


# Claiming ----------------------------------------------------------------------------------


def test_claiming_twice_claims_once(alex):
    reminders = [due(alex, subject=f"visit:{n}") for n in range(3)]
    first = claim_due(NOW, 10)
    assert sorted(first) == [r.pk for r in reminders]
    assert claim_due(NOW, 10) == []
    for reminder in reminders:
        reminder = fresh(reminder)
        # The attempt is on record before anything is sent.
        assert (reminder.status, reminder.attempts, reminder.claimed_at) == (
            Status.IN_FLIGHT,
            1,
            NOW,
        )
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_senders_running_at_once_claim_each_row_exactly_once(alex):
    expected = {due(alex, subject=f"visit:{n}").pk for n in range(40)}
    barrier = threading.Barrier(4)
    claimed, errors = [], []

    def sender():
        try:
            barrier.wait(timeout=10)
            while pks := claim_due(NOW, 3):
                claimed.extend(pks)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(claimed) == sorted(expected)  # every row, none twice
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}


# Failures, retries, skips ------------------------------------------------------------------


def test_a_failure_is_retried_with_backoff_then_failed_after_the_4th_attempt(settings, alex):
    settings.EMAIL_BACKEND = BROKEN
    reminder = due(alex)
    clock = NOW
    for attempt, wait in ((1, 1), (2, 5), (3, 25)):
        run = send_due_reminders(now=clock)
        assert (run.claimed, run.retried) == (1, 1)
        reminder = fresh(reminder)
        assert reminder.status == Status.SCHEDULED
        assert reminder.attempts == attempt
        assert reminder.next_attempt_at == clock + wait * MINUTE
        assert "SMTPServerDisconnected: Connection unexpectedly closed" in reminder.last_error
        # Not before its time ...
        assert (
            send_due_reminders(now=clock + wait * MINUTE - datetime.timedelta(seconds=1)).claimed
            == 0
        )
        clock += wait * MINUTE  # ... and then again.
    run = send_due_reminders(now=clock)
    assert run.failed == 1
    reminder = fresh(reminder)
    assert reminder.status == Status.FAILED
    assert reminder.attempts == 4
    assert reminder.next_attempt_at is None
    assert reminder.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert send_due_reminders(now=clock + datetime.timedelta(days=1)).claimed == 0


def test_one_failure_does_not_stop_the_others(settings, alex, monkeypatch):
    first, second = due(alex, subject="visit:1"), due(alex, subject="visit:2")
    real_build = reminder_sending.build_message

    def build(reminder, connection=None):
        if reminder.pk == first.pk:
            raise ValueError("template broke")
        return real_build(reminder, connection=connection)

    monkeypatch.setattr(reminder_sending, "build_message", build)
    run = send_due_reminders(now=NOW)
    assert (run.sent, run.retried) == (1, 1)
    assert fresh(first).last_error == "ValueError: template broke"
    assert fresh(second).status == Status.SENT


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"reminder_consent": False}, "no reminder consent"),
        ({"reminder_channel": Patient.ReminderChannel.SMS}, "SMS is not set up; no message sent"),
        ({"email": ""}, "no email address on record"),
    ],
)
def test_a_reminder_that_may_not_go_is_skipped_with_the_reason(alex, changes, reason):
    reminder = due(alex)
    Patient.objects.filter(pk=alex.pk).update(**changes)
    if "email" in changes:
        Reminder.objects.filter(pk=reminder.pk).update(recipient="")
    run = send_due_reminders(now=NOW)
    assert (run.claimed, run.skipped, run.sent) == (1, 1, 0)
    reminder = fresh(reminder)
    assert reminder.status == Status.SKIPPED
    assert reminder.last_error == reason
    assert reminder.attempts == 0  # nothing was attempted
    assert mail.outbox == []


def test_a_pick_up_reminder_is_skipped_once_dispensed(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    Patient.objects.filter(pk=male_patient.pk).update(reminder_consent=True)
    course = start_course(male_patient)
    prescription = prescribe(course)
    schedule_prescription_reminders(prescription)
    services.authorize_dispense(prescription, pharmacy=make_pharmacy(), by=pharmacist)
    reminder = Reminder.objects.get(kind=Kind.PICK_UP_CLOSING)
    send_due_reminders(now=reminder.due_at)
    reminder = fresh(reminder)
    assert (reminder.status, reminder.last_error) == (
        Status.SKIPPED,
        "already dispensed; nothing left to pick up",
    )


def test_a_pick_up_reminder_of_a_voided_prescription_is_skipped_at_the_moment_of_sending(
    male_patient, start_course, prescribe
):
    """Checked again when sending, whatever voided it (here a row changed by hand): the
    patient is never sent to a pharmacy that would refuse the prescription."""
    Patient.objects.filter(pk=male_patient.pk).update(reminder_consent=True)
    prescription = prescribe(start_course(male_patient))
    reminder = Reminder.objects.get(kind=Kind.PICK_UP_CLOSING)
    Prescription.objects.filter(pk=prescription.pk).update(voided_at=NOW, awaiting_pickup=False)
    send_due_reminders(now=reminder.due_at)
    reminder = fresh(reminder)
    assert (reminder.status, reminder.last_error) == (
        Status.SKIPPED,
        "the prescription was voided; there is nothing to pick up",
    )
    assert mail.outbox == []


def test_a_certification_reminder_goes_to_the_admin_unless_renewed_since(
    registry_admin, make_pharmacy
):
    pharmacy = make_pharmacy("Riverside")
    certification = pharmacy.certification
    context = {
        "pharmacy": pharmacy.name,
        "certification": certification.number,
        "valid_until": certification.valid_until.isoformat(),
    }
    current = due(None, Kind.CERTIFICATION_EXPIRING, subject=f"pharmacy:{pharmacy.pk}", **context)
    stale = due(  # written for an end date the certification no longer has
        None,
        Kind.CERTIFICATION_EXPIRING,
        subject=f"pharmacy:{pharmacy.pk}",
        due_at=NOW - datetime.timedelta(days=1),
        **{**context, "valid_until": "2027-03-27"},
    )
    send_due_reminders(now=NOW)
    assert fresh(current).status == Status.SENT
    assert fresh(stale).status == Status.SKIPPED
    [message] = mail.outbox
    assert message.to == ["reg.admin@example.org"]
    assert "Riverside" in message.subject
    # Suspended since it was written: not sent either.
    PharmacyCertification.objects.update(status=PharmacyCertification.Status.SUSPENDED)
    Reminder.objects.filter(pk=current.pk).update(status=Status.SCHEDULED)
    send_due_reminders(now=NOW)
    assert fresh(current).status == Status.SKIPPED
    assert fresh(current).last_error == reminder_sending.CERTIFICATION_CHANGED


# The sweeper -------------------------------------------------------------------------------


def test_the_sweeper_returns_rows_stuck_in_flight_in_one_update(alex):
    stuck = due(alex, subject="visit:1")
    recent = due(alex, subject="visit:2")
    exhausted = due(alex, subject="visit:3")
    Reminder.objects.filter(pk=stuck.pk).update(
        status=Status.IN_FLIGHT, claimed_at=NOW - 11 * MINUTE, attempts=1
    )
    Reminder.objects.filter(pk=recent.pk).update(
        status=Status.IN_FLIGHT, claimed_at=NOW - 9 * MINUTE, attempts=1
    )
    Reminder.objects.filter(pk=exhausted.pk).update(
        status=Status.IN_FLIGHT, claimed_at=NOW - 30 * MINUTE, attempts=4
    )
    with CaptureQueriesContext(connection) as queries:
        assert sweep_stuck_reminders(now=NOW) == 2
    assert len(queries) == 1
    assert fresh(stuck).status == Status.SCHEDULED
    assert fresh(stuck).attempts == 1  # the lost attempt still counts
    assert fresh(recent).status == Status.IN_FLIGHT
    assert fresh(exhausted).status == Status.FAILED
    assert "4 times" in fresh(exhausted).last_error
    # Returned to the queue: the next run sends it.
    assert send_due_reminders(now=NOW).sent == 1
    assert fresh(stuck).attempts == 2


# Tasks, beat and the command ---------------------------------------------------------------


def test_the_tasks_run_the_same_functions(alex, male_patient, start_course):
    due(alex, due_at=datetime.datetime.now(tz=UTC) - MINUTE)
    assert tasks.send_due_reminders()["sent"] == 1
    assert tasks.send_due_reminders()["claimed"] == 0  # run again: nothing left to do
    assert tasks.sweep_stuck_reminders() == 0
    assert monitoring_tasks.flag_courses()["raised"] == 0
    assert tasks.certification_expiry_reminders() == 0


def test_beat_runs_sending_each_minute_and_the_nightly_work_at_2_clinic_time(settings):
    from clinic.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["heartbeat"]["task"] == "clinic.tasks.heartbeat"
    assert schedule["send-due-reminders"] == {
        "task": "clinic.tasks.send_due_reminders",
        "schedule": 60.0,
    }
    assert schedule["sweep-stuck-reminders"]["schedule"] == 300.0
    for name, task in (
        ("flag-courses", "clinic.tasks.flag_courses"),
        ("certification-expiry-reminders", "clinic.tasks.certification_expiry_reminders"),
    ):
        assert schedule[name]["task"] == task
        assert task in app.tasks
        # Beat stores its schedule with pickle and reads it back: the zone must survive that.
        crontab = pickle.loads(pickle.dumps(schedule[name]["schedule"]))  # noqa: S301
        crontab.app = app
        for last_run in (
            datetime.datetime(2027, 7, 1, 12, 0, tzinfo=UTC),  # summer: 02:00 BST = 01:00 UTC
            datetime.datetime(2027, 1, 10, 12, 0, tzinfo=UTC),
        ):
            start, delta, _now = crontab.remaining_delta(last_run)
            next_run = (start + delta).astimezone(LONDON)
            assert next_run.date() == last_run.date() + datetime.timedelta(days=1)
            assert next_run.hour == 2


def test_the_management_command_sends_one_batch(alex, capsys):
    due(alex, due_at=datetime.datetime.now(tz=UTC) - MINUTE)
    call_command("send_reminders")
    assert "Claimed 1: sent 1, skipped 0" in capsys.readouterr().out
    assert len(mail.outbox) == 1
