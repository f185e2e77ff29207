"""The labs drawn during a course (R19), marked against the reference limits in
clinic.monitoring.thresholds. The marks are for a second look; they decide nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q

from clinic.monitoring.models import Visit
from clinic.monitoring.thresholds import LAB_LIMITS
from dosing import rules

LIMITS = LAB_LIMITS
LABELS = {
    "triglycerides": "Triglycerides (fasting)",
    "total_cholesterol": "Total cholesterol",
    "alt": "ALT",
    "ast": "AST",
}


@dataclass(frozen=True)
class LabValue:
    name: str
    value: Decimal
    unit: str
    flag: str  # "", "high" or "very high"

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def limit(self) -> Decimal:
        return LIMITS[(self.name, self.unit)][0]


def assess(name: str, value, unit: str) -> LabValue:
    high, very_high = LIMITS[(name, unit)]
    value = Decimal(value)
    flag = ""
    if very_high is not None and value > very_high:
        flag = "very high"
    elif value > high:
        flag = "high"
    return LabValue(name, value, unit, flag)


def labs_of(visit) -> list[LabValue]:
    found = []
    if visit.triglycerides is not None:
        found.append(assess("triglycerides", visit.triglycerides, visit.triglycerides_unit))
    if visit.total_cholesterol is not None:
        found.append(assess("total_cholesterol", visit.total_cholesterol, visit.cholesterol_unit))
    if visit.alt is not None:
        found.append(assess("alt", visit.alt, "U/L"))
    if visit.ast is not None:
        found.append(assess("ast", visit.ast, "U/L"))
    return found


def baseline_labs_of(patient, *, not_needed_because: str = "") -> rules.BaselineLabs:
    """What the visits hold for R19 before a course's first prescription (one query): the
    latest day fasting lipids (triglycerides and total cholesterol) and liver tests (ALT and
    AST) were each recorded together at a visit."""
    both_lipids = Q(triglycerides__isnull=False, total_cholesterol__isnull=False)
    both_liver = Q(alt__isnull=False, ast__isnull=False)
    found = Visit.objects.filter(patient=patient).aggregate(
        lipids_on=Max("visit_date", filter=both_lipids),
        liver_tests_on=Max("visit_date", filter=both_liver),
    )
    return rules.BaselineLabs(**found, not_needed_because=not_needed_because)


def baseline_lab_visits(course) -> list[Visit]:
    """The patient's visits outside any course in the 30 days before this course started:
    where its baseline labs were drawn (R19), for the lab charts."""
    since = course.start_date - datetime.timedelta(days=rules.BASELINE_LABS_WITHIN_DAYS)
    return list(
        Visit.objects.filter(
            patient_id=course.patient_id,
            course=None,
            visit_date__gte=since,
            visit_date__lt=course.start_date,
        ).order_by("visit_date", "pk")
    )
