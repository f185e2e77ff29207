"""Consent to reminders, per channel (issue 19): which address or number, when and how it was
given, and when and how it was withdrawn. Patient.reminder_consent says what holds now; these
rows are the record of each consent, kept after withdrawal (registry/consents.py writes them)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class ChannelConsent(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message (SMS)"

    class How(models.TextChoices):
        STAFF_FORM = "staff_form", "Staff form"
        PORTAL = "portal", "Patient portal"
        IMPORT = "import", "Import"
        STOP_REPLY = "stop_reply", "STOP reply"
        # Consents given before they were kept per channel (registry migration 0013).
        RECORD = "record", "On the patient record before issue 19"

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="channel_consents"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The email address or the E.164 number the consent was given for: a consent to texts at
    # one number is not a consent to texts at the next one.
    address = models.CharField(max_length=254)
    given_at = models.DateTimeField()
    given_how = models.CharField(max_length=12, choices=How.choices)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_how = models.CharField(max_length=12, choices=How.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["given_at", "pk"]
        constraints = [
            # At most one consent in force per patient: the channel reminders go by.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_channel_consent_in_force",
            )
        ]
        indexes = [models.Index(fields=["channel", "address"], name="consent_channel_addr_idx")]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.address} from {self.given_at:%Y-%m-%d}"
