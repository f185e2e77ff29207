"""Keeping an uploaded file for its preview, and writing it once confirmed (issue 18, point 2).

Upload: the file is read and every row checked (clinic.staff.importing.checking); the batch
keeps the file, its cells and the problems found, and nothing else is written. Confirm (a
POST, only for a batch without problems that is still previewed, under a row lock so a second
click finds it confirmed): the batch is marked confirmed and the write is queued (the task
clinic.staff.tasks.write_import). Write: in ONE transaction, the file is read from the batch
and checked again (the registry may have gained one of its patients since the preview: then
nothing is written and the batch is previewed again with the new problems); the patients
and their guardians are enrolled in blocks (registry.bulk_enrolment: enrol_patient's checks,
the rows inserted in bulk, 100 times fewer round trips), and each test and course goes through
the service its page uses (clinic.monitoring.services.record_pregnancy_test,
dosing.services.start_course); every record gets its history row by the importing user, and
each patient is linked to the batch.

Progress. The rows are written inside one transaction that other connections cannot see
into, so the count written so far goes to a small file under VAR_DIR/imports/ (shared by the
web and worker processes, as the filesystem broker's folders are), read by the progress
fragment the page polls.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.monitoring.services import record_pregnancy_test
from clinic.staff.importing.checking import Checked, check_sheet
from clinic.staff.importing.reading import read_file
from dosing.services import start_course
from registry.audit import changed_by
from registry.bulk_enrolment import Enrolment, enrol_many
from registry.models import ImportBatch, ImportedPatient

BLOCK = 250  # rows enrolled together, and between two notes of the progress


def preview(content: bytes, file_name: str, user) -> ImportBatch:
    """Read and check the file and keep it, with what was found, as a previewed batch.
    Raises reading.Unreadable when the file as a whole is refused (nothing is kept)."""
    checked = check_sheet(read_file(content), user)
    batch = ImportBatch(
        created_by=user,
        file_name=os.path.basename(file_name)[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    _keep(batch, checked)
    changed_by(batch, user).save()
    return batch


def _keep(batch: ImportBatch, checked: Checked) -> None:
    batch.columns = checked.columns
    batch.rows = checked.rows
    batch.problems = checked.problems
    batch.row_count = len(checked.rows)
    batch.error_row_count = len(checked.problems)


def confirm(batch: ImportBatch, user) -> bool:
    """Mark the batch confirmed, once: True when this call did (the caller queues the write)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk, created_by=user)
        if batch.status != ImportBatch.Status.PREVIEWED or batch.error_row_count:
            return False
        batch.status = ImportBatch.Status.CONFIRMED
        batch.confirmed_at = timezone.now()
        changed_by(batch, user, "Confirmed").save(update_fields=["status", "confirmed_at"])
    return True


def write(batch_pk: int) -> ImportBatch:
    """Write a confirmed batch (idempotent: any other status is left as it is)."""
    try:
        with transaction.atomic():
            batch = (
                ImportBatch.objects.select_for_update()
                .select_related("created_by")
                .get(pk=batch_pk)
            )
            if batch.status != ImportBatch.Status.CONFIRMED:
                return batch
            _write(batch)
    except Exception as error:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_pk)
            if batch.status == ImportBatch.Status.CONFIRMED:
                batch.status = ImportBatch.Status.FAILED
                batch.failure = f"{type(error).__name__}: {error}"[:2000]
                changed_by(batch, batch.created_by, "Failed").save()
        raise
    finally:
        progress_path(batch_pk).unlink(missing_ok=True)
    return batch


def _write(batch: ImportBatch) -> None:
    user = batch.created_by
    checked = check_sheet(read_file(bytes(batch.content)), user)
    if checked.problems:
        _keep(batch, checked)
        batch.status = ImportBatch.Status.PREVIEWED
        changed_by(batch, user, "Checked again: the registry changed since the preview").save()
        return
    total = len(checked.entries)
    links = []
    for start in range(0, total, BLOCK):
        block = checked.entries[start : start + BLOCK]
        enrolments = [Enrolment(entry.details, entry.guardian) for entry in block]
        patients = enrol_many(enrolments, by=user, reason=f"Imported from {batch.file_name}"[:100])
        for entry, patient in zip(block, patients, strict=True):
            if entry.test:
                record_pregnancy_test(patient, by=user, **entry.test)
            if entry.course:
                start_course(patient, by=user, **entry.course)
            links.append(ImportedPatient(batch=batch, patient=patient, row_number=entry.number))
        note_progress(batch.pk, len(links), total)
    ImportedPatient.objects.bulk_create(links, batch_size=1000)
    batch.status = ImportBatch.Status.WRITTEN
    batch.written_at = timezone.now()
    batch.written_count = len(links)
    changed_by(batch, user, "Written").save()


# A confirmed batch whose write no worker has started after this long is queued again (the
# broker was away, or the message was lost): the write is idempotent, so a late duplicate
# finds the batch written and does nothing.
REQUEUE_AFTER = datetime.timedelta(seconds=30)


def waiting_too_long(batch: ImportBatch) -> bool:
    """Confirmed, not started (no progress noted yet), and confirmed over REQUEUE_AFTER ago."""
    return (
        batch.status == ImportBatch.Status.CONFIRMED
        and batch.confirmed_at is not None
        and timezone.now() - batch.confirmed_at > REQUEUE_AFTER
        and not progress_path(batch.pk).exists()
    )


def progress_path(batch_pk: int) -> Path:
    return Path(settings.VAR_DIR) / "imports" / f"{int(batch_pk)}.progress"


def note_progress(batch_pk: int, done: int, total: int) -> None:
    path = progress_path(batch_pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(f"{done} {total}")
    partial.replace(path)  # a reader sees the old note or the new one, never half of one


def read_progress(batch: ImportBatch) -> tuple[int, int]:
    """(rows written, rows to write) of a batch being written; (0, rows) before the first note."""
    try:
        done, total = progress_path(batch.pk).read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, batch.row_count
