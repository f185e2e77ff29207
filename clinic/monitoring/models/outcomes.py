"""The outcomes report's figures, counted ahead: how many courses of one start month and one
prescriber fall on each value of each measure (clinic.monitoring.outcomes builds them).

The report adds these rows up over the months and prescribers asked for, so a page reads a few
hundred rows whatever the number of patients; the counting over every course, visit, dispense
and flag happens once a night (and when asked), not on every page view."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutcomeCount(models.Model):
    # The first day of the month the counted courses started.
    month = models.DateField()
    # The patients' prescriber (the person responsible for the course).
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    # "status:completed", "fell_days", "mg_per_kg_end", "side_effect:dry_lips",
    # "flag_ack_hours:weight_above_ceiling", ... (clinic.monitoring.outcomes names them).
    measure = models.CharField(max_length=48)
    # Days, whole mg/kg or hours for a distribution; 0 for a plain count.
    value = models.IntegerField(default=0)
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "prescriber"], name="outcome_month_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.measure}={self.value}: {self.count}"


class OutcomeBuild(models.Model):
    """When the counts were last built, and what it took (shown on the report)."""

    built_at = models.DateTimeField(default=timezone.now)
    courses = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    seconds = models.FloatField()

    class Meta:
        get_latest_by = "built_at"

    def __str__(self):
        return f"built {self.built_at:%Y-%m-%d %H:%M} ({self.courses} courses)"
