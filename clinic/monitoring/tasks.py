"""The nightly flag run as a Celery task."""

from celery import shared_task

from clinic.monitoring import outcomes
from clinic.monitoring.flagging import raise_flags


# The name predates the split into apps: beat schedules and messages already queued use it.
@shared_task(name="clinic.tasks.flag_courses")
def flag_courses() -> dict:
    """Nightly: raise course flags, one set-based INSERT per kind (idempotent)."""
    run = raise_flags()
    return {"raised": run.raised, "statements": run.statements}


@shared_task(name="clinic.tasks.build_outcome_counts")
def build_outcome_counts() -> dict:
    """Nightly: count the clinic's outcomes again for the report (clinic.monitoring.outcomes)."""
    build = outcomes.build_outcome_counts()
    return {"courses": build.courses, "rows": build.rows, "seconds": round(build.seconds, 3)}
