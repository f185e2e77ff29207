"""The clinic's Celery app with a one-second beat schedule, for tests that need beat to wake
the worker often (`celery -A tests.reliability.fast_beat beat`). Same tasks, same settings;
only the intervals are shorter than production's (heartbeat, reminders every minute)."""

from clinic.celery import app

app.conf.beat_schedule = {
    "heartbeat": {"task": "clinic.tasks.heartbeat", "schedule": 1.0},
    "send-due-reminders": {"task": "clinic.tasks.send_due_reminders", "schedule": 1.0},
}
