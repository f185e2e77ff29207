"""Visits: what staff record at each appointment (weight, nodules, side effects, mood, labs)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

FOLLOW_UP_DAYS = 28


def default_follow_up() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=FOLLOW_UP_DAYS)


class SideEffect(models.TextChoices):
    DRY_LIPS = "dry_lips", "Dry lips"
    DRY_SKIN = "dry_skin", "Dry skin"
    NOSEBLEEDS = "nosebleeds", "Nosebleeds"
    EYES = "eyes", "Eye dryness or vision change"
    JOINT_MUSCLE = "joint_muscle", "Joint or muscle pain"
    HEADACHE = "headache", "Headache"
    ABDOMINAL = "abdominal", "Abdominal pain"
    OTHER = "other", "Other"


class Contraception(models.TextChoices):
    IUD = "iud", "Intrauterine device"
    IMPLANT = "implant", "Implant"
    PILL = "pill", "Hormonal pill"
    PATCH_RING = "patch_ring", "Patch or ring"
    INJECTION = "injection", "Injection"
    CONDOM = "condom", "Male condom"
    DIAPHRAGM = "diaphragm", "Diaphragm or cap"
    STERILISATION = "sterilisation", "Sterilisation (patient or partner)"
    ABSTINENCE = "abstinence", "Abstinence (committed)"


class LipidUnit(models.TextChoices):
    MG_DL = "mg/dL", "mg/dL"
    MMOL_L = "mmol/L", "mmol/L"


class Visit(models.Model):
    patient = models.ForeignKey("registry.Patient", on_delete=models.PROTECT, related_name="visits")
    course = models.ForeignKey(
        "dosing.TreatmentCourse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        help_text="The course in force on the visit day, if any.",
    )
    visit_date = models.DateField()
    weight_kg = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(25)), MaxValueValidator(Decimal(250))],
    )
    nodule_count = models.PositiveIntegerField("total inflammatory nodule count")
    side_effects = models.JSONField(default=list, blank=True)
    side_effects_other = models.CharField(max_length=200, blank=True)
    phq2_interest = models.PositiveSmallIntegerField(
        "little interest or pleasure in doing things (0-3)",
        validators=[MaxValueValidator(3)],
    )
    phq2_mood = models.PositiveSmallIntegerField(
        "feeling down, depressed or hopeless (0-3)", validators=[MaxValueValidator(3)]
    )
    triglycerides = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    triglycerides_unit = models.CharField(
        max_length=8, choices=LipidUnit.choices, default=LipidUnit.MG_DL
    )
    total_cholesterol = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    cholesterol_unit = models.CharField(
        max_length=8, choices=LipidUnit.choices, default=LipidUnit.MG_DL
    )
    alt = models.PositiveIntegerField("ALT (U/L)", null=True, blank=True)
    ast = models.PositiveIntegerField("AST (U/L)", null=True, blank=True)
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
        from clinic.follow_ups import note_visit  # the course copy of the latest visit

        super().save(*args, **kwargs)
        note_visit(self)

    @property
    def phq2_score(self) -> int:
        return self.phq2_interest + self.phq2_mood

    @property
    def mood_screen_positive(self) -> bool:
        return self.phq2_score >= 3  # R20: a positive screen reaches the prescriber

    def side_effect_labels(self) -> list[str]:
        labels = [SideEffect(code).label for code in self.side_effects if code != "other"]
        if "other" in self.side_effects and self.side_effects_other:
            labels.append(self.side_effects_other)
        return labels
