"""A confirmed import whose write no worker started (the broker was away when it was queued,
or its message was lost) is queued again by the progress poll after writing.REQUEUE_AFTER:
the confirmed batch is the record of the work, the broker only a wake-up (DESIGN.md)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from clinic.staff.importing import writing
from registry.models import ImportBatch
from tests.staff.test_imports import (  # noqa: F401 (fixtures)
    csv_file,
    eager_tasks,
    importer,
    latest_batch,
    row,
    upload,
)


def confirmed_ago(batch, seconds: int) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.CONFIRMED,
        confirmed_at=timezone.now() - datetime.timedelta(seconds=seconds),
    )


def test_a_confirmed_batch_no_worker_started_is_queued_again_by_the_poll(importer):  # noqa: F811
    upload(importer, csv_file([row(n) for n in range(1, 3)]))
    batch = latest_batch()
    confirmed_ago(batch, int(writing.REQUEUE_AFTER.total_seconds()) + 5)
    importer.get(reverse("staff:import-progress", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.WRITTEN
    assert batch.written_count == 2


def test_a_batch_confirmed_moments_ago_or_being_written_is_left_to_its_worker(importer):  # noqa: F811
    upload(importer, csv_file([row(n) for n in range(1, 3)]))
    batch = latest_batch()
    url = reverse("staff:import-progress", args=[batch.pk])
    confirmed_ago(batch, 5)
    importer.get(url)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CONFIRMED
    confirmed_ago(batch, 600)
    writing.note_progress(batch.pk, 1, 2)  # a worker is on it
    importer.get(url)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CONFIRMED
    writing.progress_path(batch.pk).unlink()
