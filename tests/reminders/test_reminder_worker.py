"""A real Celery worker sends due reminders through a real SMTP server, each exactly once.

No eager mode and no mocks: the test writes 20 due reminder rows, puts six
`send_due_reminders` messages (small batches) on Redis, and a worker process with three
child processes claims and sends them through Django's SMTP backend to a local SMTP sink.
Overlapping runs must not send anything twice.
"""

import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery import Celery

from clinic.reminders.models import Reminder
from registry.models import Patient
from tests.conftest import TEST_REDIS_URL
from tests.factories import PatientFactory
from tests.smtp_sink import SmtpSink
from tests.workers import worker_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
RUNS = 6


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def worker(tmp_path, smtp_sink):
    """A worker (3 processes) on its own Redis queue, sending mail to the sink."""
    queue = f"test-{secrets.token_hex(4)}"  # never pick up another run's messages
    env = worker_env(
        broker_url=TEST_REDIS_URL,
        var_dir=tmp_path / "var",
        CELERY_QUEUE=queue,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
    )
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clinic",
            "worker",
            "--pool=prefork",
            "--concurrency=3",
            "--loglevel=INFO",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process, queue, log_path
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_a_real_worker_sends_20_due_reminders_each_exactly_once(worker, smtp_sink):
    process, queue, log_path = worker
    due_at = datetime.now(tz=UTC) - timedelta(minutes=1)
    reminders = []
    for n in range(20):
        patient = PatientFactory(
            first_name="Sam",
            email=f"patient-{n:02d}@example.org",
            reminder_consent=True,
            reminder_channel=Patient.ReminderChannel.EMAIL,
        )
        reminders.append(
            Reminder.objects.create(
                kind=Reminder.Kind.FOLLOW_UP_VISIT,
                patient=patient,
                recipient=patient.email,
                subject_key=f"visit:{n}",
                due_at=due_at,
                due_date=due_at.date(),
                context={"visit_on": "2027-03-30"},
            )
        )

    producer = Celery("reminder-test-producer", broker=TEST_REDIS_URL)
    try:
        for _ in range(RUNS):  # overlapping runs in three processes, 5 rows each at most
            producer.send_task("clinic.tasks.send_due_reminders", kwargs={"batch": 5}, queue=queue)
    finally:
        producer.close()

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        finished = log_path.read_text().count("succeeded in")
        if finished >= RUNS:
            break
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.25)
    else:
        pytest.fail(f"{RUNS} runs did not finish in time:\n{log_path.read_text()}")

    log = log_path.read_text()
    assert "raised" not in log, log
    assert "Traceback" not in log, log
    rows = Reminder.objects.order_by("pk")
    assert {(r.status, r.attempts) for r in rows} == {(Reminder.Status.SENT, 1)}, log
    messages = smtp_sink.messages
    recipients = sorted(message["To"] for message in messages)
    assert recipients == sorted(r.recipient for r in reminders)  # each once, none twice
    for message in messages:
        assert message["Subject"] == "Reminder: your visit at the clinic on Tuesday 30 March"
        text = message.get_payload(0).get_payload(decode=True).decode()
        assert "You have a visit at the clinic on Tuesday 30 March 2027." in text
        assert message.get_payload(1).get_content_type() == "text/html"
