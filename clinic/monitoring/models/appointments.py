"""The appointment book: clinic sessions cut into slots, and the appointments booked in them.

A session is one prescriber's clinic on a day, from a start to an end time in the clinic's zone,
cut into slots of `slot_minutes`, each taking up to `capacity` patients. The capacity cannot be
a constraint on one row (it counts rows), so booking locks the session row first
(clinic/monitoring/appointments.py); a patient booked twice at the same moment is a constraint.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from registry.field_labels import label_fields


class ClinicSession(models.Model):
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinic_sessions"
    )
    day = models.DateField()
    starts = models.TimeField(help_text=_("In the clinic's time zone."))
    ends = models.TimeField(help_text=_("In the clinic's time zone."))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    capacity = models.PositiveSmallIntegerField(
        _("patients per slot"), validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["day", "starts", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5), name="session_slot_minutes_min"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_min"),
        ]
        indexes = [models.Index(fields=["day", "starts"], name="session_day_idx")]

    def __str__(self):
        return f"Clinic on {self.day:%d %b %Y} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def moment(self, at: datetime.time) -> datetime.datetime:
        """`at` on the session's day in the clinic's zone (aware; stored in UTC)."""
        return datetime.datetime.combine(self.day, at, tzinfo=timezone.get_default_timezone())

    def slot_starts(self) -> list[datetime.datetime]:
        """Every slot's start: from `starts`, a slot at a time, while the slot ends by `ends`."""
        step = datetime.timedelta(minutes=self.slot_minutes)
        start, end = self.moment(self.starts), self.moment(self.ends)
        slots = []
        while start + step <= end:
            slots.append(start)
            start += step
        return slots


label_fields(
    ClinicSession, prescriber=_("prescriber"), day=_("day"), starts=_("starts"), ends=_("ends")
)


class Appointment(models.Model):
    # The labels are marked for translation: the portal shows them to patients ("Cancel", a
    # refusal naming the status). Lazy, so the migrations keep the English text.
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Did not come")
        ATTENDED = "attended", _("Attended")

    class Change(models.TextChoices):
        CANCEL = "cancel", _("Cancel")
        MOVE = "move", _("Move to another time")

    class Request(models.TextChoices):
        NONE = "", _("None")
        PENDING = "pending", _("Waiting for the clinic")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    # The statuses that hold a place in their slot: an appointment marked attended before its
    # slot began (the patient came early) keeps its place, so the slot is not offered again.
    TAKING_A_PLACE = (Status.BOOKED, Status.ATTENDED)

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    session = models.ForeignKey(
        ClinicSession, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(default=timezone.now)
    # The patient's request from the portal (cancel, or move with a message), until staff decide.
    requested_change = models.CharField(max_length=10, choices=Change.choices, blank=True)
    request_status = models.CharField(
        max_length=10, choices=Request.choices, blank=True, default=Request.NONE
    )
    request_message = models.CharField(max_length=500, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    moved_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            # One patient, one booked place at a moment (two tabs, a double click).
            models.UniqueConstraint(
                fields=["patient", "starts_at"],
                condition=Q(status="booked"),
                name="one_booked_appointment_per_patient_moment",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "starts_at"], name="appointment_slot_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_idx"),
            models.Index(fields=["request_status"], name="appointment_request_idx"),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"Appointment on {local:%d %b %Y at %H:%M}"

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED

    @property
    def takes_a_place(self) -> bool:
        return self.status in self.TAKING_A_PLACE

    @property
    def day_has_come(self) -> bool:
        """Its day (in the clinic's zone) is today or past: it can be marked attended."""
        return timezone.localtime(self.starts_at).date() <= timezone.localdate()

    @property
    def request_pending(self) -> bool:
        return self.request_status == self.Request.PENDING
