"""Periodic and on-demand Celery tasks of the clinic app."""

from celery import shared_task
from django.utils import timezone

from clinic.models import Heartbeat

HEARTBEAT = "heartbeat"


@shared_task(name="clinic.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat scheduled a task and a worker ran it; /healthz shows the time.

    Idempotent: each run overwrites the one row with the current time.
    """
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=HEARTBEAT, defaults={"last_run_at": now})
    return now.isoformat()
