"""Pharmacies and their certification to dispense isotretinoin (R17)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from registry.audit import changed_by


class Pharmacy(models.Model):
    name = models.CharField(max_length=200)
    address = models.TextField()
    phone = PhoneNumberField()  # E.164, as every number in the registry
    registration_number = models.CharField(max_length=50, unique=True)
    responsible_pharmacist = models.CharField(max_length=200)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "pharmacies"
        indexes = [models.Index(fields=["name"], name="pharmacy_name_idx")]

    def __str__(self):
        return f"{self.name} ({self.registration_number})"

    def may_dispense_on(self, day: datetime.date) -> bool:
        """The one answer to "may this pharmacy dispense on this day" (R17).

        `day` is a date in the clinic's time zone (timezone.localdate()); see
        may_dispense_at() for a moment in time.
        """
        certification = getattr(self, "certification", None)
        return certification is not None and certification.is_active_on(day)

    def may_dispense_at(self, moment: datetime.datetime) -> bool:
        return self.may_dispense_on(timezone.localdate(moment))


class PharmacyCertification(models.Model):
    """The pharmacy's current certification. Status changes go through the verb methods,
    which validate, save and log who, when and why (CertificationChange)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CERTIFIED = "certified", "Certified"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"

    pharmacy = models.OneToOneField(
        Pharmacy, on_delete=models.PROTECT, related_name="certification"
    )
    number = models.CharField("certification number", max_length=50, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        indexes = [
            models.Index(fields=["status"], name="cert_status_idx"),
            models.Index(fields=["valid_until"], name="cert_valid_until_idx"),
        ]

    def __str__(self):
        return f"{self.number} ({self.get_status_display()})"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.status  # what the verbs' checks were based on
        return instance

    def is_active_on(self, day: datetime.date) -> bool:
        return (
            self.status == self.Status.CERTIFIED
            and self.valid_from is not None
            and self.valid_until is not None
            and self.valid_from <= day <= self.valid_until
        )

    # Verbs ----------------------------------------------------------------------------------

    def certify(self, *, by, valid_from: datetime.date, valid_until: datetime.date, reason=""):
        if self.status == self.Status.REVOKED:
            raise ValidationError(
                "A revoked certification cannot be reinstated; record a new certification."
            )
        if valid_from is None or valid_until is None:
            raise ValidationError("Certifying needs both a valid-from and a valid-until date.")
        if valid_until < valid_from:
            raise ValidationError({"valid_until": "Valid until must be on or after valid from."})
        self.valid_from, self.valid_until = valid_from, valid_until
        self._change(self.Status.CERTIFIED, by=by, reason=reason or "Certified")

    def renew_for_a_year(self, *, by, reason=""):
        if self.status != self.Status.CERTIFIED or self.valid_until is None:
            raise ValidationError("Only a certified pharmacy can be renewed.")
        # A lapsed certification renews for a year from today, not from its old end.
        self.valid_until = one_year_after(max(self.valid_until, timezone.localdate()))
        self._change(self.Status.CERTIFIED, by=by, reason=reason or "Renewed for a year")

    def suspend(self, *, by, reason: str):
        if self.status != self.Status.CERTIFIED:
            raise ValidationError("Only a certified pharmacy can be suspended.")
        self._change(self.Status.SUSPENDED, by=by, reason=_required(reason, "suspending"))

    def revoke(self, *, by, reason: str):
        if self.status == self.Status.REVOKED:
            raise ValidationError("This certification is already revoked.")
        self._change(self.Status.REVOKED, by=by, reason=_required(reason, "revoking"))

    def _change(self, new_status: str, *, by, reason: str):
        with transaction.atomic():
            # Lock the row: two admins acting at once must not both pass the status checks.
            current = type(self).objects.select_for_update().get(pk=self.pk)
            old_status = self._loaded_status if hasattr(self, "_loaded_status") else current.status
            if current.status != old_status:
                raise ValidationError(
                    "Someone else changed this certification a moment ago; reload and try again."
                )
            self.status = new_status
            changed_by(self, by).save(update_fields=["status", "valid_from", "valid_until"])
            self._loaded_status = new_status
            CertificationChange.objects.create(
                certification=self,
                from_status=old_status,
                to_status=new_status,
                valid_from=self.valid_from,
                valid_until=self.valid_until,
                changed_by=by,
                reason=reason,
            )


def _required(reason: str, verb: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give a reason for {verb} the certification."})
    return reason


def one_year_after(day: datetime.date) -> datetime.date:
    """The same day next year (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class CertificationChange(models.Model):
    """Who changed a certification's status, when and why. Append-only."""

    certification = models.ForeignKey(
        PharmacyCertification, on_delete=models.PROTECT, related_name="changes"
    )
    from_status = models.CharField(max_length=10, choices=PharmacyCertification.Status.choices)
    to_status = models.CharField(max_length=10, choices=PharmacyCertification.Status.choices)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["changed_at"], name="certchange_changed_at_idx"),
            models.Index(fields=["to_status"], name="certchange_to_status_idx"),
        ]

    def __str__(self):
        return f"{self.from_status} → {self.to_status} by {self.changed_by} at {self.changed_at}"


class Pharmacist(models.Model):
    """A pharmacist's account belongs to exactly one pharmacy."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pharmacist"
    )
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="pharmacists")

    history = HistoricalRecords()

    def __str__(self):
        return f"{self.user} at {self.pharmacy}"
