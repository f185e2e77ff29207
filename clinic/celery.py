"""The Celery application: settings that make background work safe (see DESIGN.md).

Broker URL, transport options and the beat schedule come from Django settings (CELERY_
namespace); the delivery rules below are fixed because every task is written for them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # JSON only: never unpickle what arrives from the broker.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Acknowledge after the task ran, and give a task back if its worker died, so a crash
    # re-runs it instead of losing it. Every task is therefore idempotent.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # A stuck task is stopped rather than holding a worker forever.
    task_soft_time_limit=240,
    task_time_limit=300,
    # Results live in our own tables; nothing reads Celery's result backend.
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()
