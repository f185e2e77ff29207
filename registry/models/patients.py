"""Patients enrolled in the clinic's isotretinoin registry (R11, R12)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from registry.field_labels import label_fields
from registry.registry_id import new_registry_id

MINIMUM_AGE_YEARS = 12  # R11


class Patient(models.Model):
    """A person enrolled in the registry. Never deleted: withdrawal keeps the record."""

    class RiskCategory(models.TextChoices):
        CAN_GET_PREGNANT = "can_get_pregnant", pgettext_lazy("pregnancy risk", "Can get pregnant")
        CANNOT_GET_PREGNANT = (
            "cannot_get_pregnant",
            pgettext_lazy("pregnancy risk", "Cannot get pregnant"),
        )

    class Sex(models.TextChoices):
        FEMALE = "female", pgettext_lazy("sex", "Female")
        MALE = "male", pgettext_lazy("sex", "Male")
        INTERSEX = "intersex", pgettext_lazy("sex", "Intersex")
        UNDISCLOSED = "undisclosed", pgettext_lazy("sex", "Prefers not to say")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", pgettext_lazy("patient status", "Enrolled")
        IN_TREATMENT = "in_treatment", pgettext_lazy("patient status", "In treatment")
        BETWEEN_COURSES = "between_courses", pgettext_lazy("patient status", "Between courses")
        COMPLETED = "completed", pgettext_lazy("patient status", "Completed")
        WITHDRAWN = "withdrawn", pgettext_lazy("patient status", "Withdrawn")

    class ReminderChannel(models.TextChoices):
        EMAIL = "email", pgettext_lazy("reminder channel", "Email")
        SMS = "sms", pgettext_lazy("reminder channel", "Text message (SMS)")

    class Language(models.TextChoices):
        # The languages of settings.LANGUAGES: the portal, reminders and texts in the patient's.
        ENGLISH = "en-gb", "English"
        SPANISH = "es", "Español"

    registry_id = models.CharField(max_length=11, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient",
        help_text=_("The patient's own portal account, once invited."),
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=12, choices=Sex.choices)
    email = models.EmailField(blank=True)
    # E.164 ("+447700900123"); a number typed without a country code is read as one of
    # settings.PHONENUMBER_DEFAULT_REGION. Text reminders go to it (docs/SMS.md).
    phone = PhoneNumberField(blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="prescribed_patients",
        limit_choices_to={"groups__name": "Prescriber", "is_active": True},
    )
    risk_category = models.CharField(
        max_length=20,
        choices=RiskCategory.choices,
        help_text=_("Chosen by the prescriber (R12)."),
    )
    consent_treatment_on = models.DateField(
        _("consent to treatment and registry"),
        null=True,
        help_text=_("The date the patient signed consent to treatment and to the registry."),
    )
    language = models.CharField(
        max_length=8,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language of the patient's portal, reminders and text messages."),
    )
    reminder_consent = models.BooleanField(_("consents to reminder messages"), default=False)
    reminder_channel = models.CharField(max_length=10, choices=ReminderChannel.choices, blank=True)
    reminder_consent_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENROLLED)
    status_reason = models.TextField(
        blank=True, help_text=_("Why the status last changed (required for withdrawal).")
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # Each list order ends in the id (keyset paging, clinic/staff/keyset.py), so the
            # index walk gives the page in order, without sorting a run of equal keys.
            models.Index(fields=["last_name", "first_name", "id"], name="patient_name_id_idx"),
            models.Index(fields=["status", "id"], name="patient_status_id_idx"),
            models.Index(fields=["enrolled_at"], name="patient_enrolled_idx"),
            models.Index(fields=["risk_category"], name="patient_risk_idx"),
            models.Index(Lower("email"), name="patient_email_lower_idx"),
            models.Index(
                fields=["last_name", "first_name", "date_of_birth"], name="patient_identity_idx"
            ),
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

    def get_absolute_url(self):
        return reverse("staff:patient-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: datetime.date) -> int:
        return age_on(self.date_of_birth, day)

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def can_get_pregnant(self) -> bool:
        return self.risk_category == self.RiskCategory.CAN_GET_PREGNANT


label_fields(
    Patient,
    first_name=_("first name"),
    last_name=_("last name"),
    date_of_birth=_("date of birth"),
    sex=pgettext_lazy("field", "sex"),
    email=_("email"),
    phone=_("phone"),
    prescriber=_("prescriber"),
    risk_category=_("risk category"),
    language=_("language"),
    reminder_channel=_("reminder channel"),
    status=_("status"),
    status_reason=_("status reason"),
    notes=_("notes"),
)


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Completed years on `day` (a 29 February birthday counts from 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class PriorTreatment(models.Model):
    """An acne treatment tried before isotretinoin (it is for acne that resisted these)."""

    class Kind(models.TextChoices):
        OTC_WASH = "otc_wash", _("Over-the-counter washes")
        TOPICAL_SPOT = "topical_spot", _("Topical spot treatments")
        HOME_REMEDY = "home_remedy", _("Home remedies")
        TOPICAL_RETINOID = "topical_retinoid", _("Topical retinoids")
        ORAL_ANTIBIOTIC = "oral_antibiotic", _("Oral antibiotics")
        OTHER = "other", pgettext_lazy("prior treatment", "Other")

    class Outcome(models.TextChoices):
        NO_IMPROVEMENT = "no_improvement", _("No improvement")
        PARTIAL = "partial", _("Partial improvement")
        RELAPSED = "relapsed", _("Improved, then came back")
        STOPPED_SIDE_EFFECTS = "side_effects", _("Stopped for side effects")
        UNKNOWN = "unknown", _("Not known")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prior_treatments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    other_text = models.CharField(_("other (what)"), max_length=200, blank=True)
    started_on = models.DateField(_("approximate start"), null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.UNKNOWN)

    history = HistoricalRecords()

    class Meta:
        ordering = ["started_on", "pk"]

    def __str__(self):
        label = self.other_text if self.kind == self.Kind.OTHER else self.get_kind_display()
        return f"{label}: {self.get_outcome_display()}"


label_fields(PriorTreatment, kind=_("kind"), outcome=_("outcome"))
