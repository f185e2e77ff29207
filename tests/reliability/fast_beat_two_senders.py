"""The clinic's Celery app with a one-second beat that asks for two reminder runs at each tick
(`celery -A tests.reliability.fast_beat_two_senders beat`), for tests of two workers.

With one run per tick the two workers settle into taking turns (one always gets the heartbeat,
the other always the run), so which of them sends is luck. Two runs at each tick, 50 rows each,
overlap: while one worker is busy with the first, the second goes to the other worker, so both
claim rows from the table at the same time, as they do when a run outlasts beat's interval.
"""

from clinic.celery import app

app.conf.beat_schedule = {
    "heartbeat": {"task": "clinic.tasks.heartbeat", "schedule": 1.0},
    "send-due-reminders": {
        "task": "clinic.tasks.send_due_reminders",
        "schedule": 1.0,
        "kwargs": {"batch": 50},
    },
    "send-due-reminders-again": {
        "task": "clinic.tasks.send_due_reminders",
        "schedule": 1.0,
        "kwargs": {"batch": 50},
    },
}
