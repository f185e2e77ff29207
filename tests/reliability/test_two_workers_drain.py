"""Two workers, two pool processes each, drain 2,000 due reminders: each sent exactly once.

Twenty-four overlapping send_due_reminders runs (100 rows each at most) go to one queue read
by two `celery worker` commands, so four processes claim rows from the same table at once.

On PostgreSQL (DATABASE_URL is PostgreSQL) the claim is SELECT ... FOR UPDATE SKIP LOCKED. On
SQLite the same scenario runs with the same two workers: the claim there is the conditional
UPDATE, which must give each row to one process only; nothing is skipped on either database.
"""

import pytest

from tests.reliability.support import (
    WAIT,
    all_sent,
    assert_each_sent_once,
    expected_message_ids,
    make_due_reminders,
    on_postgresql,
    results,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.redis]

REMINDERS = 2000
RUNS = 24
BATCH = 100
SEND = "clinic.tasks.send_due_reminders"


def test_two_workers_with_two_processes_each_send_every_reminder_exactly_once(services, smtp_sink):
    reminders = make_due_reminders(REMINDERS, "pair")
    expected = expected_message_ids(reminders)
    workers = [services.worker(name, concurrency=2) for name in ("left", "right")]
    services.send(SEND, RUNS, batch=BATCH)

    def logs():
        return "\n".join(w.log() for w in workers)

    wait_for(lambda: all_sent(reminders), "every reminder sent", interval=0.2, details=logs)
    wait_for(
        lambda: sum(len(w.succeeded(SEND)) for w in workers) == RUNS,
        f"all {RUNS} runs to finish",
        timeout=WAIT,
        details=logs,
    )

    assert_each_sent_once(smtp_sink, reminders, expected)
    runs = {w.name: results(w, SEND) for w in workers}
    assert sum(r["sent"] for rs in runs.values() for r in rs) == REMINDERS
    for name, rs in runs.items():  # both workers took part: the claims really overlapped
        assert sum(r["sent"] for r in rs) > 0, f"{name} sent nothing\n{logs()}"
    assert "Traceback" not in logs(), logs()
    print(
        f"\n{'PostgreSQL' if on_postgresql() else 'SQLite'}: "
        + ", ".join(f"{n} sent {sum(r['sent'] for r in rs)}" for n, rs in runs.items())
    )
