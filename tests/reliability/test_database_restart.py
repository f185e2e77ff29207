"""The database goes away mid-batch and comes back: no reminder lost, none sent twice.

On PostgreSQL the server itself is stopped (fast shutdown: every connection is cut) while a
worker sends, kept down for a few seconds (new connections are refused), and started again,
as a restart or a fail-over does. On SQLite, which has no server, the nearest thing is the
file being locked for longer than the busy timeout (a backup or a long migration holding it):
every write in that time fails with "database is locked". The worker is given a 1-second busy
timeout so that happens inside a short test.

The rule the worker must keep: a message the mail server accepted is recorded as sent, even if
the database is away at that moment; it waits for the database (up to
DB_OUTAGE_PATIENCE_SECONDS) rather than leaving the row in flight, which the sweeper would
later return to the queue and so send a second time. No sweep runs in this test: a row left in
flight would stay unsent and fail it.
"""

import contextlib
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from clinic.reminders.models import Reminder
from tests.conftest import services_required
from tests.reliability.support import (
    assert_each_sent_once,
    expected_message_ids,
    make_due_reminders,
    on_postgresql,
    received_ids,
    wait_for,
)

# alone: it stops the machine's PostgreSQL, which every other test process is using.
pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.alone]

REMINDERS = 1500  # enough that the batch is still going when the outage ends
BATCH = 100
AWAY_WHEN_RECEIVED = 150
AWAY_SECONDS = 3.0


def _cluster_version() -> str:
    versions = sorted(
        Path("/etc/postgresql").iterdir(), key=lambda p: [int(x) for x in p.name.split(".")]
    )
    return versions[-1].name


def _pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _cluster_version(), "main", action]
        + (["-m", "fast"] if action == "stop" else []),
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def database_outage():
    """A function that takes the database away for `seconds`, then brings it back."""
    if on_postgresql():
        if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
            reason = "this PostgreSQL is not a local Debian cluster (pg_ctlcluster)"
            if services_required():
                pytest.fail(reason)
            pytest.skip(reason)

        def away(seconds: float) -> None:
            _pg_ctl("stop")
            try:
                time.sleep(seconds)
            finally:
                _pg_ctl("start")
            wait_for(
                lambda: (
                    subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode
                    == 0
                ),
                "PostgreSQL to accept connections again",
            )
            connection.close()  # this test's own connection died with the server

    else:

        def away(seconds: float) -> None:
            locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
            try:
                locker.execute("BEGIN EXCLUSIVE")
                time.sleep(seconds)
                locker.execute("ROLLBACK")
            finally:
                locker.close()

    yield away
    with contextlib.suppress(Exception):  # a failed test must not leave PostgreSQL down
        if on_postgresql() and subprocess.run(["pg_isready", "-q"], check=False).returncode:
            _pg_ctl("start")


def test_a_database_outage_mid_batch_loses_no_reminder_and_doubles_none(
    services, smtp_sink, database_outage, figures
):
    reminders = make_due_reminders(REMINDERS, "outage")
    expected = expected_message_ids(reminders)
    worker = services.worker("steady", concurrency=2, SQLITE_BUSY_TIMEOUT_SECONDS="1")

    services.wake_senders(BATCH)
    wait_for(
        lambda: len(smtp_sink.messages) >= AWAY_WHEN_RECEIVED,
        f"{AWAY_WHEN_RECEIVED} messages at the sink",
        interval=0.02,
        details=worker.log,
    )
    database_outage(AWAY_SECONDS)
    assert len(smtp_sink.messages) < REMINDERS, "the batch ended first: raise REMINDERS"
    assert "database unavailable" in worker.log(), "the outage did not reach the worker"

    services.send_until_all_sent(reminders, BATCH, details=worker.log)
    assert not Reminder.objects.filter(status=Reminder.Status.IN_FLIGHT).exists()
    received = received_ids(smtp_sink)
    figures(
        "Faults: reminders sent exactly once across a database outage",
        sum(1 for message_id in expected if received[message_id] == 1),
        REMINDERS,
    )
    assert_each_sent_once(smtp_sink, reminders, expected)
