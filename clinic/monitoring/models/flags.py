"""Course flags: what the prescriber must look at (R8, R9, R14, R18, R19, R20)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from registry.field_labels import label_fields


class FlagKind(models.TextChoices):
    # Ordered by urgency (most urgent first); the worklist sorts on URGENCY below.
    POSITIVE_PREGNANCY = "positive_pregnancy", _("Positive pregnancy test")
    MOOD_SCREEN = "mood_screen", _("Positive mood screen")
    TRIGLYCERIDES_ABOVE_800 = "triglycerides_above_800", _("Triglycerides above 800 mg/dL")
    DOSE_ABOVE_CEILING = "dose_above_ceiling", _("Dose above 2 mg/kg/day for the latest weight")
    TRIGLYCERIDES_ABOVE_500 = "triglycerides_above_500", _("Triglycerides above 500 mg/dL")
    LIVER_ENZYMES_ABOVE_3X = "liver_enzymes_above_3x", _("ALT or AST above 3 times the limit")
    REACHED_20_WEEKS = "reached_20_weeks", _("Reached 20 weeks")
    NODULES_DOWN_70 = "nodules_down_70", _("Nodule count down more than 70%")
    CHOLESTEROL_ABOVE_300 = "cholesterol_above_300", _("Total cholesterol above 300 mg/dL")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up overdue")
    APPROACHING_20_WEEKS = "approaching_20_weeks", _("Approaching 20 weeks (week 18)")


URGENCY = {kind: rank for rank, kind in enumerate(FlagKind)}


class CourseFlag(models.Model):
    class Action(models.TextChoices):
        CONTINUE = "continue", _("Continue the course")
        STOP = "stop", _("Stop the course")
        OTHER = "other", pgettext_lazy("flag action", "Other")

    course = models.ForeignKey(
        "dosing.TreatmentCourse", on_delete=models.PROTECT, related_name="flags"
    )
    kind = models.CharField(max_length=24, choices=FlagKind.choices)
    # URGENCY[kind], stored so the worklist reads open flags most urgent first straight from
    # an index (sorting 18,000 open flags by a CASE on kind took 60 ms at 100,000 patients).
    urgency = models.PositiveSmallIntegerField(default=0, editable=False)
    # What the flag is about, so the same event never raises twice: "" for once-per-course
    # kinds, the visit id for a mood screen or test, the planned date for an overdue follow-up.
    subject_key = models.CharField(max_length=40, default="", blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices, blank=True)
    action_text = models.CharField(_("what was done"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["acknowledged_at", "-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "kind", "subject_key"], name="flag_once_per_subject"
            ),
            models.UniqueConstraint(
                fields=["course", "kind"],
                condition=Q(acknowledged_at=None),
                name="one_open_flag_per_course_and_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["acknowledged_at", "kind"], name="flag_open_kind_idx"),
            models.Index(fields=["raised_at"], name="flag_raised_at_idx"),
            models.Index(
                fields=["urgency", "raised_at"],
                condition=Q(acknowledged_at=None),
                name="flag_open_urgency_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.course}"

    def save(self, *args, **kwargs):
        self.urgency = URGENCY[FlagKind(self.kind)]
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


label_fields(CourseFlag, kind=_("kind"), action=_("action"), detail=_("detail"))
