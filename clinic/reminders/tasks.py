"""Periodic Celery tasks of reminders and the heartbeat.

Task names predate the split into apps ("clinic.tasks.*"): beat schedules and messages already
queued keep working."""

from celery import shared_task
from django.utils import timezone

from clinic.reminders import sending as reminder_sending
from clinic.reminders.models import Heartbeat
from clinic.reminders.schedule import schedule_certification_expiry_reminders

HEARTBEAT = "heartbeat"


@shared_task(name="clinic.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat scheduled a task and a worker ran it; /healthz shows the time.

    Idempotent: each run overwrites the one row with the current time.
    """
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=HEARTBEAT, defaults={"last_run_at": now})
    return now.isoformat()


# Reminders. Beat starts these (CELERY_BEAT_SCHEDULE); each takes no arguments that
# carry data (the rows are the truth) and may run twice or at the same time in two workers.


@shared_task(name="clinic.tasks.send_due_reminders")
def send_due_reminders(batch: int = 100) -> dict:
    """Every minute: send the reminders that are due (claimed row by row, at least once)."""
    return reminder_sending.send_due_reminders(batch=batch).as_dict()


@shared_task(name="clinic.tasks.sweep_stuck_reminders")
def sweep_stuck_reminders() -> int:
    """Every 5 minutes: return reminders stuck in flight (a sender died) to the queue."""
    return reminder_sending.sweep_stuck_reminders()


@shared_task(name="clinic.tasks.certification_expiry_reminders")
def certification_expiry_reminders() -> int:
    """Nightly: write reminders for pharmacy certifications ending within 30 days."""
    return schedule_certification_expiry_reminders()
