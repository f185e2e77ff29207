"""Who looked at which patient's record, when, and on what page (HIPAA 164.312(b), issue 16).

Change history (django-simple-history) says who changed a record; this says who read one. A
row is written by `registry.audit.record_access`, one INSERT per page shown or file exported,
never one per patient row of a list. Append-only: nothing in the application updates or
deletes a row, and the admin offers neither.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RecordAccess(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", "Page"
        EXPORT = "export", "Export"
        LOOKUP = "lookup", "Dispensing look-up"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # None for a bulk export: its filter is in `detail`, its rows are not listed one by one.
    patient = models.ForeignKey(
        "registry.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accesses",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    what = models.CharField(max_length=80, help_text="The page or export, in words.")
    # What was asked (an export's filter, the pharmacy of a look-up); never row data.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "record access"
        verbose_name_plural = "record accesses"
        ordering = ["-at", "-pk"]
        indexes = [
            # "Who looked at this record" (the patient page, the audit page by patient).
            models.Index(fields=["patient", "at"], name="access_patient_at_idx"),
            # What one user looked at (the audit page by user).
            models.Index(fields=["user", "at"], name="access_user_at_idx"),
            # The whole log newest first, and date ranges.
            models.Index(fields=["at"], name="access_at_idx"),
        ]

    def __str__(self):
        return f"{self.what} by user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
