"""Reminders per second through one Celery worker process, beside plain smtplib (the floor).

    DATABASE_URL=postgres://clinic:clinic@127.0.0.1:5432/clinic_reminders_bench \
        .venv/bin/python bench/reminders_rate.py --reminders 2000

Writes N fresh due reminder rows (recipients tagged with this run's token), starts one worker
(`celery -A clinic worker --pool=solo`) on a queue of its own on Redis (--broker, default
redis://127.0.0.1:6379/15), sending through Django's SMTP backend to an SMTP sink in this
process (tests/smtp_sink.py), and times from publishing the send_due_reminders runs (100 rows
each, as beat sends them) until the sink holds N messages and every row is sent. Then the
floor: the same N messages (built beforehand) sent with smtplib over one connection to the
same sink. Repeats --repeat times (fresh rows each time) and prints a Markdown table of
medians. The rows are deleted afterwards, and the worker stopped, even on failure.

Refuses to run on a database whose name does not end in "_bench", and on one that already
holds due reminders (the worker would send them too).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import secrets
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

import redis
from celery import Celery
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from clinic.reminders.models import Reminder
from clinic.reminders.sending import build_message, due_q
from tests import smtp_sink
from tests.smtp_sink import SmtpSink

BATCH = 100  # rows per send_due_reminders run, the task's default
WAIT = 600.0


class CountingSink(SmtpSink):
    """The test sink, also counting SMTP sessions (one per connection)."""

    def __init__(self):
        super().__init__()
        self.sessions = 0
        handle = smtp_sink._Handler.handle

        def counted(handler):
            with self._lock:
                self.sessions += 1
            handle(handler)

        self._server.RequestHandlerClass = type("Counted", (smtp_sink._Handler,), {})
        self._server.RequestHandlerClass.handle = counted

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self.envelopes.clear()
            self.sessions = 0


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def write_rows(count: int, tag: str) -> list[Reminder]:
    due_at = timezone.now() - datetime.timedelta(minutes=1)
    return Reminder.objects.bulk_create(
        Reminder(
            kind=Reminder.Kind.FOLLOW_UP_VISIT,
            recipient=f"{tag}-{n:06d}@example.org",
            subject_key=f"visit:{n}",
            due_at=due_at,
            due_date=timezone.localdate(due_at),
            context={"visit_on": "2027-03-30"},
        )
        for n in range(count)
    )


def wait_until(predicate, what: str, worker: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if worker.poll() is not None:
            sys.exit(f"the worker stopped while waiting for {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {what}:\n{log.read_text()[-5000:]}")
        time.sleep(0.01)


def start_worker(broker: str, queue: str, sink: SmtpSink, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DEBUG="false",  # as in production: no query log, no debug overhead
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker,
        CELERY_QUEUE=queue,
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        VAR_DIR=str(log.parent / "var"),
        LOG_LEVEL="INFO",  # the production default: a log line per task
    )
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clinic",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until(lambda: " ready." in log.read_text(), "the worker to start", process, log)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def time_worker(n, tag, producer, queue, sink, worker, log) -> tuple[float, int]:
    rows = write_rows(n, tag)
    pks = [r.pk for r in rows]
    sink.clear()
    started = time.perf_counter()
    for _ in range(math.ceil(n / BATCH)):
        producer.send_task("clinic.tasks.send_due_reminders", kwargs={"batch": BATCH}, queue=queue)
    wait_until(lambda: sink.count() >= n, f"{n} messages at the sink", worker, log)
    sent = Reminder.objects.filter(pk__in=pks, status=Reminder.Status.SENT)
    wait_until(lambda: sent.count() == n, "every row marked sent", worker, log)
    elapsed = time.perf_counter() - started
    assert sink.count() == n, f"{sink.count()} messages for {n} reminders"
    return elapsed, sink.sessions


def rendered(n, tag) -> list[tuple[str, list[str], str, str, str, dict]]:
    """The same messages' parts (our templates rendered), so both floors skip the rendering."""
    rows = write_rows(n, tag)
    parts = []
    for reminder in rows:
        message = build_message(reminder)
        html = message.alternatives[0][0]
        parts.append(
            (
                message.from_email,
                message.to,
                message.subject,
                message.body,
                html,
                message.extra_headers,
            )
        )
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return parts


def time_floor(parts, sink, *, prebuilt: bool) -> float:
    """Plain smtplib over one connection. With prebuilt=False each message is built with the
    standard library's email package as it is sent, as a plain script would; with prebuilt=True
    the bytes are made beforehand and only the SMTP exchange is timed (the wire alone)."""

    def build(sender, to, subject, text, html, headers) -> bytes:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, sender, ", ".join(to)
        message["Date"] = formatdate(localtime=True)
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message.as_bytes()

    payloads = [(p[0], p[1], build(*p)) for p in parts] if prebuilt else None
    sink.clear()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        if payloads is not None:
            for sender, recipients, data in payloads:
                smtp.sendmail(sender, recipients, data)
        else:
            for part in parts:
                smtp.sendmail(part[0], part[1], build(*part))
    elapsed = time.perf_counter() - started
    assert sink.count() == len(parts)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args()
    name = str(settings.DATABASES["default"]["NAME"])
    if not name.endswith("_bench"):
        sys.exit(f"refusing: database {name!r} does not end in _bench")
    call_command("migrate", verbosity=0)
    if Reminder.objects.filter(due_q(timezone.now())).exists():
        sys.exit("refusing: the database already holds due reminders; the worker would send them")

    token = secrets.token_hex(4)
    tag = f"bench-{token}"
    queue = f"bench-reminders-{token}"
    log = Path(tempfile.mkdtemp(prefix="bench-reminders-")) / "worker.log"
    n = args.reminders
    worker_times, floor_times, wire_times, sessions = [], [], [], 0
    producer = Celery(f"bench-producer-{token}", broker=args.broker)
    with CountingSink() as sink:
        worker = start_worker(args.broker, queue, sink, log)
        try:
            for run in range(args.repeat):
                elapsed, sessions = time_worker(
                    n, f"{tag}-w{run}", producer, queue, sink, worker, log
                )
                worker_times.append(elapsed)
                parts = rendered(n, f"{tag}-f{run}")
                floor_times.append(time_floor(parts, sink, prebuilt=False))
                wire_times.append(time_floor(parts, sink, prebuilt=True))
                print(
                    f"  run {run + 1}: worker {n / elapsed:,.0f}/s, "
                    f"smtplib {n / floor_times[-1]:,.0f}/s, wire {n / wire_times[-1]:,.0f}/s",
                    file=sys.stderr,
                )
        finally:
            stop_worker(worker)
            producer.close()
            deleted, _ = Reminder.objects.filter(recipient__startswith=f"{tag}-").delete()
            print(f"  deleted {deleted:,} bench reminder rows", file=sys.stderr)
            client = redis.Redis.from_url(args.broker)
            for key in client.scan_iter(match=f"*{token}*"):
                client.delete(key)
            client.close()

    median = statistics.median
    worker_rate = n / median(worker_times)
    floor_rate = n / median(floor_times)
    wire_rate = n / median(wire_times)
    if args.json:
        print(
            json.dumps(
                {
                    "reminders": n,
                    "repeat": args.repeat,
                    "worker_rate": worker_rate,
                    "floor_rate": floor_rate,
                    "wire_rate": wire_rate,
                    "smtp_sessions": sessions,
                }
            )
        )
        return
    print(f"| reminders per run | {n:,} (median of {args.repeat} runs) |")
    print("|---|---|")
    print(f"| one worker, batch {BATCH} | {worker_rate:,.0f} reminders/s ({sessions:,} sessions) |")
    print(f"| smtplib, messages built as sent | {floor_rate:,.0f} messages/s |")
    print(f"| smtplib, bytes prebuilt (the wire alone) | {wire_rate:,.0f} messages/s |")
    print(f"| ratio smtplib / worker | {floor_rate / worker_rate:.2f} |")


if __name__ == "__main__":
    main()
