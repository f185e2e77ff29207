"""A worker SIGKILLed mid-batch loses no reminder; a re-send happens only for a row in flight.

1,000 due reminders; a prefork worker (2 pool processes) sends them to an SMTP sink and is
killed with SIGKILL on its whole process group (the pool children die too), twice, mid-batch.
After each kill the sweeper returns the rows left in flight (called with a clock 11 minutes
on, as beat's sweep would find them), and a new worker finishes the work.

Delivery is at least once by design: a process killed after the mail server accepted a
message and before the row was marked sent sends it again after the sweep. The Message-ID is
the same both times, so a repeat is recognisable. Each killed pool process holds at most one
such message, so duplicates are at most kills x pool processes, and only of swept rows.
"""

import datetime

import pytest
from django.utils import timezone

from clinic.reminders.models import Reminder
from clinic.reminders.sending import sweep_stuck_reminders
from tests.reliability.support import (
    all_sent,
    expected_message_ids,
    make_due_reminders,
    received_ids,
    statuses,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.redis]

REMINDERS = 1000
CONCURRENCY = 2
KILL_WHEN_RECEIVED = (100, 450)  # SIGKILL once the sink holds this many messages
BATCH = 100


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_rows_in_flight(
    services, smtp_sink
):
    reminders = make_due_reminders(REMINDERS, "kill")
    expected = expected_message_ids(reminders)
    swept: list[set[int]] = []  # the rows in flight at each kill

    for number, threshold in enumerate(KILL_WHEN_RECEIVED):
        worker = services.worker(f"doomed{number}", concurrency=CONCURRENCY)
        services.wake_senders(BATCH)
        wait_for(
            lambda t=threshold: len(smtp_sink.messages) >= t,
            f"{threshold} messages at the sink",
            interval=0.02,
            details=worker.log,
        )
        worker.kill()
        assert not all_sent(reminders), "the kill came after the batch: raise REMINDERS"
        in_flight = set(
            Reminder.objects.filter(status=Reminder.Status.IN_FLIGHT).values_list("pk", flat=True)
        )
        assert len(in_flight) <= CONCURRENCY * 10  # each process claims 10 rows at a time
        swept.append(in_flight)
        returned = sweep_stuck_reminders(now=timezone.now() + datetime.timedelta(minutes=11))
        assert returned == len(in_flight)
        assert not Reminder.objects.filter(status=Reminder.Status.IN_FLIGHT).exists()

    survivor = services.worker("survivor", concurrency=CONCURRENCY)
    services.send_until_all_sent(reminders, BATCH, details=survivor.log)

    kills = len(KILL_WHEN_RECEIVED)
    received = received_ids(smtp_sink)
    assert statuses(reminders) == {Reminder.Status.SENT: REMINDERS}
    missing = set(expected) - set(received)
    assert not missing, f"{len(missing)} reminders never arrived"
    assert set(received) == set(expected), "a message the test did not write arrived"
    duplicated = {expected[mid]: n for mid, n in received.items() if n > 1}
    duplicates = sum(n - 1 for n in duplicated.values())
    per_kill = [len(set(duplicated) & rows) for rows in swept]
    print(
        f"\nkills={kills} in flight at each kill={[len(rows) for rows in swept]} "
        f"messages={sum(received.values())} duplicates={duplicates} per kill={per_kill}"
    )
    assert set(duplicated) <= set().union(*swept), "a row re-sent that was not in flight"
    assert all(n <= CONCURRENCY for n in per_kill)  # one per killed pool process at most
    assert duplicates <= kills * CONCURRENCY
    assert "Traceback" not in survivor.log(), survivor.log()
