"""A simulated year: patients' whole courses, on PostgreSQL, with a real Celery worker and beat,
the clock driven day by day through the daylight-saving changes of the clinic's zone (issue 16,
point 6). Every reminder goes out exactly once, at 08:00 local on its day; every week-18,
20-week and 70% flag is raised on its day; 0 missed, 0 doubled, 0 off by an hour.

Size: SOAK_PATIENTS courses, at least 36. `make test` runs 48 (about 60 s on two cores, 75 s
while the machine was busy); `make soak` runs 1,000 (about 6.5 minutes, 13 while busy). Both walk
the same 439 days.
PostgreSQL only (DATABASE_URL); on SQLite it is skipped with the reason.

How the clock and Celery meet. time-machine moves the clock of its own process only, so the
worker and beat run in the test process (tests/reliability/simulated_clock.py): a real
WorkController in a thread (celery.contrib.testing.worker.start_worker) consuming from Redis,
and beat's own PersistentScheduler, whose tick() is called at each wake-up as `celery beat`
calls it, on the project's CELERY_BEAT_SCHEDULE in CELERY_TIMEZONE. The app is clinic/celery.py
itself, run again with the broker pointed at Redis. Beat decides what runs; no task is called
by the test.

When beat wakes. In production beat wakes every minute; a simulated year of minutes is half a
million wake-ups. Here beat wakes at every instant at which something can become due, and at
no other, as a discrete-event simulation does: the next due time of each crontab entry as beat
itself computes it (the 02:00 flag run, the 02:15 certification run, Celery's 04:00 clean-up),
so every day of the walk is visited; the earliest due time in the reminder outbox, and then
each minute while rows are still due, as the every-minute send run would; and the clinic's
working hour (10:00) on days with visits. Between two of these instants the every-minute
entries (heartbeat, send, sweep) would find nothing to do, so leaving those wake-ups out
changes no outcome. Nor can it hide a wrong time: a reminder or a nightly run due at a wrong
time is sent or run at that wrong time (the clock stops there because it is due), and the
checks below see the hour.

The courses (tests/reliability/simulated_year_support.py) are enrolled, started, visited,
prescribed for and ended through the services the pages use, at 10:00 on their days. Their
start dates put events (the start, reminders, a 70% fall, week 18, day 140, the review after
the course) on each daylight-saving change of the year and on the days either side; the rest
are spread over the walk. The walk starts in October of the year before, so that courses
reaching day 140 on the spring change have run from their start; it ends after the last
reminder, crossing three changes (autumn, spring, autumn).

What is compared: the expected reminders and flags, worked out from the rules in the support
module, against the messages the SMTP sink received (the Date header: the clock when the worker
sent it; the Message-ID: which reminder row) and the flag rows (raised_at in local time). The
week-18 and day-140 flags come from beat's nightly run, so they must carry 02:00 of their day;
a 70% fall is raised by the visit that finds it (record_visit runs the flag statements for its
course), so at 10:00 of the visit day, and the nightly runs after it must not raise it again.
Patients without consent or on SMS must get no email, their rows skipped.
Reported with the trust checks: reminders sent once at 08:00 local on their day, flags raised
on their day, nightly flag runs at 02:00 local once a day.
"""

from __future__ import annotations

import datetime
import os
import time
from collections import Counter

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.db.models import Min

from clinic.reminders.models import Reminder
from tests.conftest import TEST_REDIS_URL
from tests.reliability.simulated_clock import InProcessCelery
from tests.reliability.simulated_year_support import (
    DAY,
    NIGHTLY_HOUR,
    Clinic,
    compare_flags,
    compare_reminders,
    daylight_saving_changes,
    local,
    make_plans,
    rows_not_at_eight,
    zone,
)

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgresql]

PATIENTS = int(os.environ.get("SOAK_PATIENTS", "48"))
YEAR = 2027
FLAG_RUN = "clinic.tasks.flag_courses"
SEND_EVERY = datetime.timedelta(
    seconds=settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]["schedule"]
)
OVERDUE_WAKE_UPS = 10  # minutes beat is woken for rows still due before the test moves on


def outbox_due() -> datetime.datetime | None:
    """When the earliest open reminder is due: its due time, or its retry time after a failure."""
    open_rows = Reminder.objects.filter(status=Reminder.Status.SCHEDULED)
    first = open_rows.filter(next_attempt_at=None).order_by("due_at").values_list("due_at")[:1]
    retry = open_rows.exclude(next_attempt_at=None).aggregate(at=Min("next_attempt_at"))["at"]
    return min((at for at in (*(at for (at,) in first), retry) if at), default=None)


def next_wake_up(now, celery: InProcessCelery, clinic: Clinic) -> datetime.datetime | None:
    """The next instant at which anything can become due (the module docstring says why)."""
    candidates = [celery.next_crontab_due(), clinic.next_work(now)]
    due = outbox_due()
    if due is not None and due > now:
        candidates.append(due)
    elif due is not None and now - due < SEND_EVERY * OVERDUE_WAKE_UPS:
        candidates.append(now + SEND_EVERY)  # rows still due: the next send run, a minute on
    return min(at for at in candidates if at is not None and at > now)


def test_a_simulated_year_sends_each_reminder_once_at_8_and_raises_each_flag_on_its_day(
    transactional_db, tmp_path, smtp_sink, figures
):
    if connection.vendor != "postgresql":
        pytest.skip("the simulated year runs on PostgreSQL only (set DATABASE_URL)")
    changes = daylight_saving_changes(YEAR)
    if len(changes) != 2:
        pytest.skip(f"TIME_ZONE={settings.TIME_ZONE} has no daylight-saving changes in {YEAR}")
    plans = make_plans(PATIENTS, YEAR)
    # The plans put reminders on each change and the days either side, and nightly flags on it.
    email_days = {
        day for plan in plans if plan.channel == "email" for *_k, day in plan.expected_reminders()
    }
    flag_days = {
        day for plan in plans for _k, day, hour in plan.expected_flags() if hour == NIGHTLY_HOUR
    }
    for change in changes:
        assert {change - DAY, change, change + DAY} <= email_days, change
        assert change in flag_days, change
    first_day = min(plan.start for plan in plans)
    last_day = max(plan.last_day() for plan in plans)
    start, end = local(first_day, 0), local(last_day + DAY, 0)
    began = time.monotonic()

    with time_machine.travel(start, tick=False) as traveller:
        clinic = Clinic(plans)
        celery = InProcessCelery(
            traveller,
            TEST_REDIS_URL,
            str(tmp_path / "celerybeat-schedule"),
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=smtp_sink.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        )
        with celery.running():
            now, spent = start, Counter()  # where the time goes, in seconds
            while now <= end:
                t0 = time.perf_counter()
                celery.advance(now)
                t1 = time.perf_counter()
                clinic.work(now)
                t2 = time.perf_counter()
                now = next_wake_up(now, celery, clinic)
                spent["beat and the worker"] += t1 - t0
                spent["the clinic's work"] += t2 - t1
                spent["choosing wake-ups"] += time.perf_counter() - t2
    walked = time.monotonic() - began

    assert not celery.failures, "\n".join(celery.failures[:20])
    messages = smtp_sink.messages
    reminders = compare_reminders(plans, messages)
    flags_expected, flags_on_time, flags_missing, flags_extra = compare_flags(plans)
    runs = Counter(
        (at.astimezone(zone()).date(), at.astimezone(zone()).time())
        for task, at in celery.runs
        if task == FLAG_RUN
    )
    days = [first_day + DAY * n for n in range((last_day - first_day).days + 1)]
    nightly_ok = [d for d in days if runs[(d, datetime.time(NIGHTLY_HOUR))] == 1]
    stray_runs = {k: n for k, n in runs.items() if k[1] != datetime.time(NIGHTLY_HOUR) or n != 1}

    figures(
        "Simulated year: reminders sent once at 08:00 local on their day",
        reminders.on_time,
        reminders.expected,
    )
    figures("Simulated year: flags raised on their day", flags_on_time, flags_expected)
    figures(
        "Simulated year: nightly flag runs at 02:00 local, once a day", len(nightly_ok), len(days)
    )
    print(
        f"\nSimulated year on PostgreSQL, TIME_ZONE={settings.TIME_ZONE}: {len(plans)} courses, "
        f"{first_day} to {last_day} ({len(days)} days; clocks change on "
        f"{', '.join(str(d) for d in changes)} and in the October before), "
        f"{celery.wake_ups} wake-ups of beat, {sum(celery.sent_by_beat.values())} tasks, "
        f"{clinic.actions} clinic actions, {len(messages)} emails "
        f"(the last at 08:{reminders.latest_minute:02d}), "
        f"{Reminder.objects.filter(status=Reminder.Status.SKIPPED).count()} reminders skipped "
        f"(no consent, or SMS), {flags_expected} flags, {walked:.0f} s ("
        + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in spent.items())
        + ").\n"
        f"Reminders at 08:00 local on their day: {reminders.on_time} of {reminders.expected}; "
        f"missing {len(reminders.missing)}, doubled {len(reminders.doubled)}, "
        f"off the hour {len(reminders.off_hour)}, wrong day {len(reminders.wrong_day)}, "
        f"unexpected {len(reminders.unexpected)}. Flags on their day and hour: "
        f"{flags_on_time} of {flags_expected}; missing {len(flags_missing)}, "
        f"unexpected or doubled {len(flags_extra)}. Nightly runs at 02:00 once a day: "
        f"{len(nightly_ok)} of {len(days)}."
    )

    assert rows_not_at_eight() == []
    assert reminders.missing == []
    assert reminders.doubled == []
    assert reminders.off_hour == []
    assert reminders.wrong_day == []
    assert reminders.unexpected == []
    assert reminders.not_skipped == []
    assert reminders.on_time == reminders.expected
    assert flags_missing == []
    assert flags_extra == []
    assert stray_runs == {}
    assert len(nightly_ok) == len(days)
