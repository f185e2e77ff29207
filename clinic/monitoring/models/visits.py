"""Visits: what staff record at each appointment (weight, nodules, side effects, mood, labs)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clinic.monitoring.follow_ups import note_month_two_labs, note_visit
from clinic.monitoring.thresholds import PHQ2_POSITIVE_AT
from registry.field_labels import label_fields

FOLLOW_UP_DAYS = 28


def default_follow_up() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=FOLLOW_UP_DAYS)


class SideEffect(models.TextChoices):
    DRY_LIPS = "dry_lips", _("Dry lips")
    DRY_SKIN = "dry_skin", _("Dry skin")
    NOSEBLEEDS = "nosebleeds", _("Nosebleeds")
    EYES = "eyes", _("Eye dryness or vision change")
    JOINT_MUSCLE = "joint_muscle", _("Joint or muscle pain")
    HEADACHE = "headache", _("Headache")
    ABDOMINAL = "abdominal", _("Abdominal pain")
    OTHER = "other", pgettext_lazy("side effect", "Other")


class Contraception(models.TextChoices):
    IUD = "iud", _("Intrauterine device")
    IMPLANT = "implant", _("Implant")
    PILL = "pill", _("Hormonal pill")
    PATCH_RING = "patch_ring", _("Patch or ring")
    INJECTION = "injection", _("Injection")
    CONDOM = "condom", _("Male condom")
    DIAPHRAGM = "diaphragm", _("Diaphragm or cap")
    STERILISATION = "sterilisation", _("Sterilisation (patient or partner)")
    ABSTINENCE = "abstinence", _("Abstinence (committed)")


class LipidUnit(models.TextChoices):
    MG_DL = "mg/dL", "mg/dL"
    MMOL_L = "mmol/L", "mmol/L"


# Plausible bounds for the numbers typed at a visit. A value outside is a slip (100000 nodules,
# a mmol/L value with mg/dL chosen), refused with the bound and the unit; each bound is wide
# enough that a real value, however extreme, still goes in.
NODULE_COUNT_MAX = 500  # total inflammatory nodules: severe acne counts tens; 500 leaves room
LIVER_ENZYME_MIN = 1  # U/L: a measured ALT/AST is never 0; a 0 is a blank typed as a number
LIVER_ENZYME_MAX = 10_000  # U/L: above the peaks of acute liver failure (a few thousand)
LIPID_BOUNDS: dict[str, dict[str, tuple[Decimal, Decimal]]] = {
    # mmol/L = mg/dL / 88.57. Fasting values under 10 mg/dL are not reported; isotretinoin
    # hypertriglyceridaemia above 5,000 mg/dL is published, 9,000 leaves room (field: 9999.99).
    "triglycerides": {
        LipidUnit.MG_DL: (Decimal(10), Decimal(9000)),
        LipidUnit.MMOL_L: (Decimal("0.1"), Decimal(100)),
    },
    # mmol/L = mg/dL / 38.67. 30 mg/dL: abetalipoproteinaemia; 1,500 mg/dL: above homozygous
    # familial hypercholesterolaemia (about 1,000).
    "total_cholesterol": {
        LipidUnit.MG_DL: (Decimal(30), Decimal(1500)),
        LipidUnit.MMOL_L: (Decimal("0.8"), Decimal(40)),
    },
}
LIPID_UNIT_FIELD = {"triglycerides": "triglycerides_unit", "total_cholesterol": "cholesterol_unit"}
LIPID_NAME = {"triglycerides": "triglyceride value", "total_cholesterol": "total cholesterol"}


def bound_message(edge: str, bound, unit: str, what: str, check: str = "value") -> str:
    """'500 is the highest nodule count accepted; check the count.' (edge: lowest/highest)."""
    return (
        f"{bound:,}{f' {unit}' if unit else ''} is the {edge} {what} accepted; check the {check}."
    )


NODULE_COUNT_MAX_MESSAGE = bound_message("highest", NODULE_COUNT_MAX, "", "nodule count", "count")


def liver_enzyme_validators(name: str) -> list:
    return [
        MinValueValidator(LIVER_ENZYME_MIN, bound_message("lowest", LIVER_ENZYME_MIN, "U/L", name)),
        MaxValueValidator(
            LIVER_ENZYME_MAX, bound_message("highest", LIVER_ENZYME_MAX, "U/L", name)
        ),
    ]


def lipid_bound_errors(values: Mapping) -> dict[str, str]:
    """A message per lipid value outside the bounds of its own unit: the unit is a separate
    field, so this is a check across fields (Visit.clean and VisitForm.clean)."""
    errors = {}
    for field, bounds in LIPID_BOUNDS.items():
        value, unit = values.get(field), values.get(LIPID_UNIT_FIELD[field])
        if value is None or unit not in bounds:
            continue  # no value, or an unknown unit (refused by the unit's own choices)
        low, high = bounds[unit]
        if value < low:
            errors[field] = bound_message(
                "lowest", low, unit, LIPID_NAME[field], "value and the unit"
            )
        elif value > high:
            errors[field] = bound_message(
                "highest", high, unit, LIPID_NAME[field], "value and the unit"
            )
    return errors


class Visit(models.Model):
    patient = models.ForeignKey("registry.Patient", on_delete=models.PROTECT, related_name="visits")
    course = models.ForeignKey(
        "dosing.TreatmentCourse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        help_text=_("The course in force on the visit day, if any."),
    )
    visit_date = models.DateField()
    weight_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(25)), MaxValueValidator(Decimal(250))],
    )
    nodule_count = models.PositiveIntegerField(
        _("total inflammatory nodule count"),
        validators=[MaxValueValidator(NODULE_COUNT_MAX, NODULE_COUNT_MAX_MESSAGE)],
    )
    side_effects = models.JSONField(default=list, blank=True)
    side_effects_other = models.CharField(max_length=200, blank=True)
    phq2_interest = models.PositiveSmallIntegerField(
        _("little interest or pleasure in doing things (0-3)"),
        validators=[MaxValueValidator(3)],
    )
    phq2_mood = models.PositiveSmallIntegerField(
        _("feeling down, depressed or hopeless (0-3)"), validators=[MaxValueValidator(3)]
    )
    triglycerides = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    triglycerides_unit = models.CharField(
        max_length=8, choices=LipidUnit.choices, default=LipidUnit.MG_DL
    )
    total_cholesterol = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    cholesterol_unit = models.CharField(
        max_length=8, choices=LipidUnit.choices, default=LipidUnit.MG_DL
    )
    alt = models.PositiveIntegerField(
        _("ALT (U/L)"), null=True, blank=True, validators=liver_enzyme_validators("ALT")
    )
    ast = models.PositiveIntegerField(
        _("AST (U/L)"), null=True, blank=True, validators=liver_enzyme_validators("AST")
    )
    pregnancy_test = models.OneToOneField(
        "registry.PregnancyTest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
    )
    contraception = models.JSONField(default=list, blank=True)
    next_follow_up = models.DateField(default=default_follow_up)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-visit_date", "-pk"]
        indexes = [
            models.Index(fields=["course", "visit_date"], name="visit_course_date_idx"),
            models.Index(fields=["patient", "visit_date"], name="visit_patient_date_idx"),
            models.Index(fields=["next_follow_up"], name="visit_follow_up_idx"),
        ]

    def __str__(self):
        return f"Visit on {self.visit_date:%d %b %Y}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        note_visit(self)  # the course keeps a copy of its latest visit's figures
        note_month_two_labs(self)  # and the day of its month-2 labs (R19)

    def clean(self):
        super().clean()
        errors = lipid_bound_errors(
            {name: getattr(self, name) for name in (*LIPID_BOUNDS, *LIPID_UNIT_FIELD.values())}
        )
        if errors:
            raise ValidationError(errors)

    @property
    def phq2_score(self) -> int:
        return self.phq2_interest + self.phq2_mood

    @property
    def mood_screen_positive(self) -> bool:
        return self.phq2_score >= PHQ2_POSITIVE_AT  # R20: a positive screen reaches the prescriber

    def side_effect_labels(self) -> list[str]:
        labels = [SideEffect(code).label for code in self.side_effects if code != "other"]
        if "other" in self.side_effects and self.side_effects_other:
            labels.append(self.side_effects_other)
        return labels


label_fields(
    Visit,
    visit_date=_("visit date"),
    weight_kg=_("weight kg"),
    side_effects=_("side effects"),
    side_effects_other=_("side effects other"),
    triglycerides=_("triglycerides"),
    triglycerides_unit=_("triglycerides unit"),
    total_cholesterol=_("total cholesterol"),
    cholesterol_unit=_("cholesterol unit"),
    pregnancy_test=_("pregnancy test"),
    contraception=_("contraception"),
    next_follow_up=_("next follow up"),
    notes=_("notes"),
)
