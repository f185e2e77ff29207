"""Registry records: patients enrolled in the clinic's isotretinoin registry."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from registry.registry_id import new_registry_id


class Patient(models.Model):
    """A person enrolled in the registry. Never deleted: withdrawal keeps the record."""

    class RiskCategory(models.TextChoices):
        CAN_GET_PREGNANT = "can_get_pregnant", "Can get pregnant"
        CANNOT_GET_PREGNANT = "cannot_get_pregnant", "Cannot get pregnant"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNDISCLOSED = "undisclosed", "Prefers not to say"

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "Enrolled"
        IN_TREATMENT = "in_treatment", "In treatment"
        BETWEEN_COURSES = "between_courses", "Between courses"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    registry_id = models.CharField(max_length=11, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient",
        help_text="The patient's own portal account, once invited.",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=12, choices=Sex.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescribed_patients"
    )
    risk_category = models.CharField(max_length=20, choices=RiskCategory.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENROLLED)
    enrolled_at = models.DateTimeField(default=timezone.now)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["status"]),
            models.Index(fields=["enrolled_at"]),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.registry_id})"

    def save(self, *args, **kwargs):
        if self.registry_id:
            return super().save(*args, **kwargs)
        # A random ID collides about once in 10^12 draws; retry rather than trust luck.
        for _attempt in range(5):
            self.registry_id = new_registry_id()
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                if not type(self).objects.filter(registry_id=self.registry_id).exists():
                    raise
        raise IntegrityError("Could not find a free registry ID after 5 tries.")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
