"""The nightly flag run as a Celery task."""

from celery import shared_task

from clinic.monitoring.flagging import raise_flags


# The name predates the split into apps: beat schedules and messages already queued use it.
@shared_task(name="clinic.tasks.flag_courses")
def flag_courses() -> dict:
    """Nightly: raise course flags, one set-based INSERT per kind (idempotent)."""
    run = raise_flags()
    return {"raised": run.raised, "statements": run.statements}
