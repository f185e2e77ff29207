"""Spreadsheet imports of patients from a clinic moving in (issue 18, point 2).

An ImportBatch is one uploaded file: kept here, in the database, between its preview and its
confirmation (so the web process that previews and the worker that writes need share no
disk, and the browser never sends the file twice), with what the check found in each row. It
is written once, in one transaction, by the user who uploaded it; each patient it wrote is
linked to it by an ImportedPatient row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed, not written"
        CONFIRMED = "confirmed", "Confirmed, being written"
        WRITTEN = "written", "Written"
        FAILED = "failed", "Failed, nothing written"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("file SHA-256", max_length=64)
    content = models.BinaryField(help_text="The file as uploaded, read again when confirmed.")
    row_count = models.PositiveIntegerField(default=0)
    error_row_count = models.PositiveIntegerField(default=0)
    # The preview: the file's columns, its cells as read (text) and {row index: {column:
    # message}}. Not in the history: they are the file itself, whose hash the history keeps.
    columns = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    problems = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(null=True, blank=True)
    written_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)

    history = HistoricalRecords(excluded_fields=["content", "columns", "rows", "problems"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "created_at"], name="import_user_day_idx")]

    def __str__(self):
        return f"Import of {self.file_name} ({self.row_count} rows)"


class ImportedPatient(models.Model):
    """A patient written by an import, and the file row it came from."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="imported")
    patient = models.OneToOneField(
        "registry.Patient", on_delete=models.PROTECT, related_name="import_row"
    )
    row_number = models.PositiveIntegerField(help_text="The row in the file (the header is 1).")

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_once")
        ]

    def __str__(self):
        return f"Row {self.row_number} of import {self.batch_id}"
