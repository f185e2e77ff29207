"""Reminders written in a transaction that rolls back are never sent, even to a worker that
runs while the transaction is still open.

The wake-ups that matter are the ones DESIGN.md allows: `transaction.on_commit` (never fires
on rollback) and beat's periodic run (after the rollback). The test also publishes one run
before commit, the mistake the outbox exists to make harmless: the worker runs it while the
rows exist but are uncommitted, and must find nothing to send.
"""

import pytest
from django.db import transaction

from clinic.reminders.models import Reminder
from tests.reliability.support import make_due_reminders, results, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.redis]

SEND = "clinic.tasks.send_due_reminders"


class RolledBack(Exception):
    pass


def test_reminders_from_a_rolled_back_transaction_are_never_sent(services, smtp_sink):
    worker = services.worker("rollback", concurrency=1)

    def write_then_roll_back():
        with transaction.atomic():
            reminders = make_due_reminders(20, "rolled-back")
            assert Reminder.objects.filter(pk__in=[r.pk for r in reminders]).count() == 20
            transaction.on_commit(lambda: services.send(SEND, batch=100))  # the right way
            services.send(SEND, batch=100)  # too early: runs while the rows are uncommitted
            wait_for(
                lambda: len(worker.succeeded(SEND)) == 1,
                "the run published inside the transaction",
                details=worker.log,
            )
            raise RolledBack

    with pytest.raises(RolledBack):
        write_then_roll_back()

    services.send(SEND, batch=100)  # beat's next run, after the rollback
    wait_for(lambda: len(worker.succeeded(SEND)) == 2, "the run after rollback", details=worker.log)

    assert Reminder.objects.count() == 0
    assert smtp_sink.messages == []
    nothing = {"claimed": 0, "sent": 0, "skipped": 0, "retried": 0, "failed": 0, "released": 0}
    assert results(worker, SEND) == [nothing, nothing]
    assert services.queue_length() == 0  # the on_commit run was never published
    assert "Traceback" not in worker.log(), worker.log()
