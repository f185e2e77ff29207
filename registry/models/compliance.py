"""The registry's compliance records: pregnancy tests (R14, R18). A visit form creates them
(monitoring issue); dosing reads them before a prescription."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class PregnancyTestQuerySet(models.QuerySet):
    def negative(self):
        return self.filter(result=PregnancyTest.Result.NEGATIVE)


class PregnancyTest(models.Model):
    class Result(models.TextChoices):
        NEGATIVE = "negative", _("Negative")
        POSITIVE = "positive", _("Positive")

    class Setting(models.TextChoices):
        MEDICAL = "medical", _("Medical setting (clinic or lab)")
        HOME = "home", _("Home test")

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="pregnancy_tests"
    )
    specimen_date = models.DateField(help_text="The day the specimen was collected (R14 day 1).")
    result = models.CharField(max_length=10, choices=Result.choices)
    setting = models.CharField(max_length=10, choices=Setting.choices, default=Setting.MEDICAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = PregnancyTestQuerySet.as_manager()

    class Meta:
        ordering = ["-specimen_date", "-pk"]
        indexes = [
            models.Index(fields=["patient", "specimen_date"], name="pregtest_patient_day_idx")
        ]

    def __str__(self):
        return f"{self.get_result_display()} ({self.specimen_date:%d %b %Y})"


class MonthlyConfirmation(models.Model):
    """R16: a patient who can get pregnant confirms each month the two forms of contraception
    in use and answers comprehension questions; a prescription that month needs it passed."""

    patient = models.ForeignKey(
        "registry.Patient", on_delete=models.PROTECT, related_name="monthly_confirmations"
    )
    confirmed_on = models.DateField()
    contraception_methods = models.JSONField(help_text="The two (or more) methods in use.")
    answers = models.JSONField(help_text="Question key -> the answer given on the last try.")
    attempts = models.PositiveSmallIntegerField(default=1)
    passed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-confirmed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "confirmed_on"], name="confirm_patient_day_idx")]

    def __str__(self):
        state = "passed" if self.passed else "not passed"
        return f"Monthly confirmation {self.confirmed_on:%d %b %Y} ({state})"
