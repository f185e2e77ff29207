"""The reminder outbox: a row per message to send, written in the same transaction as the
clinical change that causes it (DESIGN.md, "Background work"); Redis only carries wake-ups.
And the heartbeat of beat and the workers, which /healthz reads.

Both tables keep the names they had before the split (clinic_reminder, clinic_heartbeat)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Reminder(models.Model):
    class Kind(models.TextChoices):
        FOLLOW_UP_VISIT = "follow_up_visit", _("Follow-up visit")
        PREGNANCY_TEST_DUE = "pregnancy_test_due", _("Pregnancy test due")
        PICK_UP_CLOSING = "pick_up_closing", _("Pick-up window closing")
        MONTHLY_CONFIRMATION = "monthly_confirmation", _("Monthly confirmation due")
        CERTIFICATION_EXPIRING = "certification_expiring", _("Pharmacy certification expiring")
        MONTH_TWO_LABS = "month_two_labs", _("Month-2 labs due")
        APPOINTMENT = "appointment", pgettext_lazy("reminder kind", "Appointment")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IN_FLIGHT = "in_flight", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", pgettext_lazy("reminder status", "Cancelled")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    patient = models.ForeignKey(
        "registry.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminders",
    )
    recipient = models.EmailField()
    # What the reminder is about ("visit:12", "prescription:7", "pharmacy:3"): rescheduling the
    # subject cancels its open reminders and writes new ones.
    subject_key = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    due_date = models.DateField(help_text=_("The due day in the clinic's zone (uniqueness key)."))
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "clinic_reminder"  # its name before the split into apps
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_key", "due_date"],
                condition=~Q(status="cancelled"),
                name="one_reminder_per_recipient_kind_subject_day",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="reminder_status_due_idx"),
            models.Index(fields=["status", "claimed_at"], name="reminder_status_claimed_idx"),
            models.Index(fields=["patient", "due_at"], name="reminder_patient_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} due {self.due_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """When a periodic task last ran: proof that beat and a worker are both alive."""

    name = models.CharField(max_length=50, unique=True)
    last_run_at = models.DateTimeField()

    class Meta:
        db_table = "clinic_heartbeat"  # its name before the split into apps

    def __str__(self):
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S %Z}"
