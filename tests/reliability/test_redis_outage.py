"""Redis stops while reminders fall due: nothing is sent and nothing is lost; when Redis comes
back the worker reconnects and every reminder goes out once.

A private redis-server (no snapshots, no AOF, so a restart empties it: the worst case) on a
free port; a worker and a separate `celery beat` on it, beat waking the worker every second
(tests/reliability/fast_beat.py). The database holds the reminders, so the wake-ups Redis
loses while it is down do not matter: the next one after the restart finds every due row.
"""

import re
import time

import pytest

from clinic.reminders.models import Heartbeat, Reminder
from clinic.reminders.tasks import HEARTBEAT
from tests.reliability.support import (
    all_sent,
    expected_message_ids,
    free_port,
    make_due_reminders,
    received_ids,
    statuses,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.redis]

REMINDERS = 30
DOWN_FOR = 3.0  # seconds Redis stays down once the reminders are due


def test_reminders_due_while_redis_is_down_go_out_once_when_it_is_back(services, smtp_sink):
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis_server = services.redis_server(port)
    worker = services.worker("outage", pool="solo", concurrency=1, broker_url=broker)
    beat = services.beat(broker_url=broker, app="tests.reliability.fast_beat")

    def logs():
        return f"{worker.log()}\n--- beat\n{beat.log()}\n--- redis\n{redis_server.log()}"

    # beat -> Redis -> worker -> database works before the outage
    wait_for(lambda: Heartbeat.objects.filter(name=HEARTBEAT).exists(), "a heartbeat", details=logs)

    redis_server.stop()
    wait_for(
        lambda: "Connection to broker lost" in worker.log(),
        "the worker to notice Redis is gone",
        details=logs,
    )
    reminders = make_due_reminders(REMINDERS, "outage")
    expected = expected_message_ids(reminders)
    time.sleep(DOWN_FOR)
    assert smtp_sink.messages == []  # nothing sent
    assert statuses(reminders) == {Reminder.Status.SCHEDULED: REMINDERS}  # nothing lost
    assert worker.alive(), logs()
    assert beat.alive(), logs()

    redis_server = services.redis_server(port)  # the same port, empty
    wait_for(lambda: all_sent(reminders), "every reminder sent after the restart", details=logs)
    time.sleep(2.0)  # more wake-ups from beat: none may send anything again

    received = received_ids(smtp_sink)
    assert set(received) == set(expected)
    assert max(received.values()) == 1, "a reminder was sent twice"
    assert set(
        Reminder.objects.filter(pk__in=expected.values()).values_list("attempts", flat=True)
    ) == {1}
    connected = re.findall(rf"Connected to redis://\S*127\.0\.0\.1:{port}/", worker.log())
    assert len(connected) == 2, logs()  # at start, and again after the restart
    assert "Traceback" not in worker.log(), logs()
