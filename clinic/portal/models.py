"""The patient portal's own records: the private calendar feed token."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from registry.models.invitations import hash_token

# The same one-way hash as portal invitations: a copy of the database hands out no working link.
hash_feed_token = hash_token


class CalendarFeed(models.Model):
    """A private subscription URL. Only the token's hash is stored: the patient sees the URL
    when it is made (and can renew it); revoking it makes the old URL answer 404."""

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "clinic_calendarfeed"  # its name before the split into apps
        ordering = ["-created_at"]

    def __str__(self):
        state = "revoked" if self.revoked_at else "active"
        return f"Calendar feed of patient {self.patient_id} ({state})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
