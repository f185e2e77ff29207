"""Background work of the staff pages: writing a confirmed spreadsheet import."""

from celery import shared_task

from clinic.staff.importing import writing


@shared_task(name="clinic.staff.write_import")
def write_import(batch_pk: int) -> dict:
    """Write a confirmed import in one transaction (idempotent: a re-run of a written or
    failed batch, as acks_late may give, changes nothing)."""
    batch = writing.write(batch_pk)
    return {"status": batch.status, "written": batch.written_count}
