"""Helpers for the reliability group: Celery workers, beat, a private Redis, an SMTP sink.

Every process starts in its own session (its own process group), so a test can SIGKILL a
worker together with its pool children, and the `processes` fixture stops whatever a test
started, even when the test fails. Every wait is bounded (WAIT seconds) so nothing hangs.

Workers talk to the pytest test database (SQLite file or test_clinic on PostgreSQL) through
DATABASE_URL, to Redis (TEST_REDIS_URL, or a private redis-server) on a queue of their own,
and to an in-process SMTP sink through EMAIL_URL.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import itertools
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clinic.reminders.models import Reminder
from clinic.reminders.sending import message_id
from registry.models import Patient
from tests.conftest import TEST_REDIS_URL
from tests.factories import PatientFactory
from tests.smtp_sink import SmtpSink
from tests.workers import worker_env

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # the longest any single wait in this group may take
SUCCEEDED = re.compile(r"Task (?P<task>[\w.]+)\[[^\]]+\] succeeded in [\d.]+s: (?P<result>.*)$")
SEND_REMINDERS = "clinic.tasks.send_due_reminders"
_counter = itertools.count()


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def wait_for(
    predicate: Callable[[], object],
    what: str,
    *,
    timeout: float = WAIT,
    interval: float = 0.1,
    details: Callable[[], str] = lambda: "",
):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}\n{details()}")
        time.sleep(interval)


class Proc:
    """A subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict, log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()/kill()
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # pgid == pid: killpg reaches the pool children too
        )
        self.pgid = self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def _signal_group(self, sig) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group: the worker and its pool children die mid-instruction."""
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=WAIT)
        self._log.close()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL whatever of the group is left."""
        if self.alive():
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self._signal_group(signal.SIGKILL)  # stragglers (pool children, beat)
        self.popen.wait(timeout=WAIT)  # after SIGKILL: at once
        self._log.close()

    def succeeded(self, task: str) -> list[str]:
        """The results this worker logged for `task`, in order."""
        return [
            m["result"]
            for line in self.log().splitlines()
            if (m := SUCCEEDED.search(line)) and m["task"] == task
        ]

    def received(self, task: str) -> int:
        """How many messages for `task` this worker took from the broker."""
        return len(re.findall(rf"Task {re.escape(task)}\[[^\]]+\] received", self.log()))

    def wait_ready(self) -> None:
        wait_for(
            lambda: " ready." in self.log() or not self.alive(),
            f"{self.name} to be ready",
            details=self.log,
        )
        assert self.alive(), self.log()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Services:
    """Starts workers, beat and redis-server for one test and stops them all afterwards."""

    def __init__(self, tmp_path: Path, sink: SmtpSink):
        self.tmp_path = tmp_path
        self.sink = sink
        self.token = secrets.token_hex(4)
        self.queue = f"reliability-{self.token}"  # never pick up another run's messages
        self.started: list[Proc] = []

    def env(self, broker_url: str, **extra: str) -> dict:
        env = worker_env(
            broker_url=broker_url,
            var_dir=self.tmp_path / "var",
            CELERY_QUEUE=self.queue,
            EMAIL_URL=f"smtp://127.0.0.1:{self.sink.port}",
            LOG_LEVEL="INFO",
            **extra,
        )
        return env

    def _start(self, name: str, args: list[str], env: dict) -> Proc:
        proc = Proc(name, args, env, self.tmp_path / f"{name}-{next(_counter)}.log")
        self.started.append(proc)
        return proc

    def worker(
        self,
        name: str,
        *,
        concurrency: int = 2,
        pool: str = "prefork",
        broker_url: str = TEST_REDIS_URL,
        ready: bool = True,
        **env: str,
    ) -> Proc:
        proc = self._start(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "clinic",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--queues",
                self.queue,
                "--hostname",
                f"{name}-{self.queue}@%h",
                # Nothing here needs worker-to-worker chatter; it only slows start-up.
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            self.env(broker_url, **env),
        )
        if ready:
            proc.wait_ready()
        return proc

    def beat(self, *, broker_url: str, app: str = "clinic") -> Proc:
        return self._start(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app,
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(self.tmp_path / f"beat-schedule-{next(_counter)}"),
            ],
            self.env(broker_url),
        )

    def redis_server(self, port: int) -> Proc:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not on PATH (apt-get install redis-server)"
        proc = self._start(
            "redis",
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            dict(os.environ),
        )
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        try:
            wait_for(lambda: _pings(client), f"redis-server on port {port}", details=proc.log)
        finally:
            client.close()
        return proc

    def send(
        self, task: str, count: int = 1, *, broker_url: str = TEST_REDIS_URL, **kwargs
    ) -> None:
        """Put `count` messages for `task` on this test's queue (what beat would do)."""
        producer = Celery(f"reliability-producer-{self.token}", broker=broker_url)
        try:
            for _ in range(count):
                producer.send_task(task, kwargs=kwargs, queue=self.queue)
        finally:
            producer.close()

    def wake_senders(self, batch: int) -> None:
        """What beat does each minute: enough send runs for the reminders not yet sent."""
        left = Reminder.objects.exclude(status=Reminder.Status.SENT).count()
        self.send(SEND_REMINDERS, math.ceil(left / batch) + 1, batch=batch)

    def send_until_all_sent(self, reminders, batch: int, details: Callable[[], str]) -> None:
        """Wake the senders until every one of `reminders` is sent, as beat would, minute by
        minute: a run may end early (a kill, an outage) with rows still due."""

        def finished():
            if all_sent(reminders):
                return True
            if self.queue_length() == 0:  # the runs were used up before the rows
                self.wake_senders(batch)
            return False

        self.wake_senders(batch)
        wait_for(finished, "every reminder sent", interval=0.2, details=details)

    def queue_length(self, broker_url: str = TEST_REDIS_URL) -> int:
        client = redis.Redis.from_url(broker_url)
        try:
            return client.llen(self.queue)
        finally:
            client.close()

    def stop_all(self) -> None:
        # Workers and beat first (a warm shutdown needs the broker), Redis servers last.
        redis_last = [p for p in self.started if p.name != "redis"][::-1] + [
            p for p in self.started if p.name == "redis"
        ]
        for proc in redis_last:
            if not proc._log.closed:
                proc.stop()
        self._clean_shared_redis()

    def _clean_shared_redis(self) -> None:
        """Remove this test's keys from the shared Redis: its queue, the pidbox queues and
        bindings of its workers, and the unacked messages a SIGKILLed worker left behind
        (kombu would otherwise restore them into a queue nobody reads, an hour later)."""
        try:
            client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
            for key in client.scan_iter(match=f"*{self.token}*"):
                client.delete(key)
            for key in client.scan_iter(match="_kombu.binding.*"):
                for member in client.smembers(key):
                    if self.token.encode() in member:
                        client.srem(key, member)
            for tag, payload in client.hscan_iter("unacked"):
                if self.token.encode() in payload:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
            client.close()
        except redis.RedisError:  # the shared Redis is gone: nothing left to clean
            pass


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


# Reminder rows --------------------------------------------------------------------------------


def make_due_reminders(count: int, tag: str) -> list[Reminder]:
    """`count` reminders due a minute ago for one consenting patient, each its own recipient."""
    patient = PatientFactory(
        first_name="Sam",
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.EMAIL,
    )
    due_at = timezone.now() - datetime.timedelta(minutes=1)
    return Reminder.objects.bulk_create(
        Reminder(
            kind=Reminder.Kind.FOLLOW_UP_VISIT,
            patient=patient,
            recipient=f"{tag}-{n:05d}@example.org",
            subject_key=f"visit:{n}",
            due_at=due_at,
            due_date=timezone.localdate(due_at),
            context={"visit_on": "2027-03-30"},
        )
        for n in range(count)
    )


def expected_message_ids(reminders: list[Reminder]) -> dict[str, int]:
    """Message-ID -> reminder pk, as the sender writes them (one per reminder, stable)."""
    return {message_id(r, settings.DEFAULT_FROM_EMAIL): r.pk for r in reminders}


def received_ids(sink: SmtpSink) -> Counter:
    return Counter(message["Message-ID"] for message in sink.messages)


def all_sent(reminders: list[Reminder]) -> bool:
    pks = [r.pk for r in reminders]
    return Reminder.objects.filter(pk__in=pks, status=Reminder.Status.SENT).count() == len(pks)


def statuses(reminders: list[Reminder]) -> Counter:
    pks = [r.pk for r in reminders]
    return Counter(Reminder.objects.filter(pk__in=pks).values_list("status", flat=True))


def results(proc: Proc, task: str) -> list[dict]:
    """The dicts a worker logged as results of `task` (send_due_reminders, flag_courses)."""
    return [ast.literal_eval(r) for r in proc.succeeded(task)]


def assert_each_sent_once(sink: SmtpSink, reminders: list[Reminder], expected: dict) -> None:
    """Every reminder reached the mail server exactly once, its row is sent, after 1 attempt."""
    received = received_ids(sink)
    assert set(received) == set(expected), "a reminder is missing from the mail server"
    twice = {mid: n for mid, n in received.items() if n > 1}
    assert not twice, f"sent more than once: {twice}"
    assert sum(received.values()) == len(reminders)
    assert statuses(reminders) == {Reminder.Status.SENT: len(reminders)}
    attempts = Reminder.objects.filter(pk__in=expected.values()).values_list("attempts", flat=True)
    assert set(attempts) == {1}
