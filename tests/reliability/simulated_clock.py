"""Celery's worker and beat inside the test process, on a clock the test drives (time-machine).

time-machine changes the clock of its own process only, so a `celery worker` or `celery beat`
command would keep the real date. Here both run in the test process, on the project's Celery
configuration:

- the app is clinic/celery.py run again: a fresh app configured from the Django settings as
  production's is, with the broker pointed at the test Redis under a key prefix of its own
  (queues, bindings, unacked messages), so nothing meets another run's messages;
- the worker is celery.contrib.testing.worker.start_worker: a real WorkController (solo pool)
  in a thread, consuming from Redis and acknowledging late, as configured;
- beat is celery.beat.Service's own scheduler (PersistentScheduler on a schedule file, with
  CELERY_BEAT_SCHEDULE and CELERY_TIMEZONE from the settings). `advance()` moves the clock,
  then does what beat's loop does when it wakes: tick() until it answers a wait (one due entry
  per tick), then a sync when due. Beat alone decides what is due; the test never calls a task.

After each wake-up the test waits until the worker has run every message beat sent and has
acknowledged it (the queue and the unacked hash are empty), so the clock never moves in the
middle of a task. The clock is stopped (tick=False): a task sees the instant beat woke at.

One difference from production, on purpose: the worker keeps its database connection between
tasks (CELERY_DB_REUSE_MAX). Celery's Django fixup otherwise closes it before and after every
task, and a simulated year is tens of thousands of tasks, each then opening a PostgreSQL
session (about 20 ms with a password). What a task does with the connection is unchanged.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
import runpy
import secrets
import threading
import time
from collections import Counter

import pytest
import redis
from celery import _state, signals
from celery.beat import Service
from celery.contrib.testing.worker import start_worker
from celery.schedules import crontab
from django.db import connections
from django.test import override_settings
from django.utils import timezone

import clinic.celery as clinic_celery

WAIT = 60.0  # the longest the worker may take over the tasks of one wake-up
TICKS_PER_WAKE_UP = 100  # beat sends one entry per tick; the schedule has six
# What clinic/settings.py sets for a Redis broker (longer than any task may run).
VISIBILITY_TIMEOUT = 3600
QUIET_LOGGERS = ("celery", "clinic")  # one line per task and wake-up: thousands a year


class InProcessCelery:
    """A worker and beat in this process; `advance(instant)` is one wake-up of beat."""

    def __init__(self, traveller, broker_url: str, schedule_file: str, **django_settings):
        self.traveller = traveller
        self.broker_url = broker_url
        self.schedule_file = schedule_file
        self.django_settings = django_settings
        self.prefix = f"simulated-year-{secrets.token_hex(4)}:"
        self.runs: list[tuple[str, datetime.datetime]] = []  # (task, the clock when it ran)
        self.failures: list[str] = []
        self.sent_by_beat: Counter = Counter()
        self.wake_ups = 0
        self._published: set[str] = set()
        self._done: set[str] = set()
        self._lock = threading.Condition()
        self._worker_connections: list = []
        self._redis = redis.Redis.from_url(broker_url)
        self.app = None
        self.scheduler = None

    # Signal receivers: publishing runs in the test thread, the task signals in the worker's.

    def _after_publish(self, sender=None, headers=None, **kwargs):
        if headers:
            with self._lock:
                self._published.add(headers["id"])
            self.sent_by_beat[sender] += 1

    def _prerun(self, sender=None, task_id=None, **kwargs):
        self.runs.append((sender.name, timezone.now()))
        if not self._worker_connections:
            self._worker_connections.append(connections["default"])

    def _postrun(self, sender=None, task_id=None, **kwargs):
        with self._lock:
            self._done.add(task_id)
            self._lock.notify_all()

    def _failure(self, sender=None, task_id=None, exception=None, **kwargs):
        self.failures.append(f"{sender.name} at {timezone.now()}: {exception!r}")

    # Running ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self):
        previous_current, previous_default = _state.get_current_app(), _state.default_app
        receivers = [
            (signals.after_task_publish, self._after_publish),
            (signals.task_prerun, self._prerun),
            (signals.task_postrun, self._postrun),
            (signals.task_failure, self._failure),
        ]
        for signal, receiver in receivers:
            signal.connect(receiver, weak=False)
        levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        settings = override_settings(
            CELERY_BROKER_URL=self.broker_url,
            CELERY_BROKER_TRANSPORT_OPTIONS={
                "visibility_timeout": VISIBILITY_TIMEOUT,
                "global_keyprefix": self.prefix,
            },
            CELERY_DB_REUSE_MAX=10**9,
            # No remote control: its broadcast queue would outlive the test in Redis.
            CELERY_WORKER_ENABLE_REMOTE_CONTROL=False,
            **self.django_settings,
        )
        try:
            with settings:
                # A fresh app from the project's own module; Celery reads the Django settings
                # as they are now (the broker above), whatever other tests did to the first app.
                self.app = runpy.run_path(clinic_celery.__file__)["app"]
                with start_worker(
                    self.app,
                    pool="solo",
                    concurrency=1,
                    perform_ping_check=False,
                    loglevel="WARNING",
                    hostname=f"{self.prefix.rstrip(':')}@localhost",
                    shutdown_timeout=WAIT,
                ):
                    service = Service(self.app, schedule_filename=self.schedule_file)
                    self.scheduler = service.scheduler
                    try:
                        yield self
                    finally:
                        service.sync()  # what beat does when it stops: save and close
        finally:
            for signal, receiver in receivers:
                signal.disconnect(receiver)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
            _state.set_default_app(previous_default)
            previous_current.set_current()
            self._close_worker_connection()
            self._clean_redis()

    def advance(self, instant: datetime.datetime) -> None:
        """Move the clock to `instant` and wake beat there; return once the worker is idle."""
        self.traveller.move_to(instant)
        self.wake_ups += 1
        for _ in range(TICKS_PER_WAKE_UP):
            if self.scheduler.tick() > 0:  # beat's loop ticks again at once while it answers 0
                break
        else:
            pytest.fail(f"beat kept finding work at {instant}")
        if self.scheduler.should_sync():
            self.scheduler._do_sync()
        self._wait_idle(instant)

    def next_crontab_due(self) -> datetime.datetime:
        """The earliest instant a crontab entry of the schedule is due, as beat computes it
        (the entries every N seconds are due at every wake-up and need no wake-up of their own)."""
        now = timezone.now()
        due = []
        for entry in self.scheduler.schedule.values():
            if isinstance(entry.schedule, crontab):
                is_due, seconds = entry.is_due()
                due.append(now + datetime.timedelta(seconds=0 if is_due else math.ceil(seconds)))
        return min(due)

    def _wait_idle(self, instant) -> None:
        deadline = time.monotonic() + WAIT
        with self._lock:
            while not self._published <= self._done:
                if not self._lock.wait(timeout=max(deadline - time.monotonic(), 0)):
                    pytest.fail(f"the worker did not run beat's tasks of {instant} in time")
        # The task has returned; its message is acknowledged just after (acks_late).
        while self._redis.hlen(f"{self.prefix}unacked"):
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not acknowledge beat's messages of {instant}")
            time.sleep(0.0005)

    def _close_worker_connection(self) -> None:
        """The worker thread has stopped; its connection would keep the test database open."""
        for connection in self._worker_connections:
            connection.inc_thread_sharing()
            try:
                connection.close()
            finally:
                connection.dec_thread_sharing()

    def _clean_redis(self) -> None:
        with contextlib.suppress(redis.RedisError):
            for key in self._redis.scan_iter(match=f"{self.prefix}*"):
                self._redis.delete(key)
        self._redis.close()
