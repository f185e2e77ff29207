"""The latest recorded weight (R6): doses follow it.

Weights are recorded at visits and at the start of a course (the baseline). Dosing never
imports this module: clinic views pass the weight into dosing's services.
"""

from __future__ import annotations

from decimal import Decimal

from dosing.models import TreatmentCourse
from registry.models import Patient


def latest_weight_kg(course: TreatmentCourse) -> Decimal:
    """The newer of the patient's latest visit weight and the course's baseline weight."""
    latest = (
        course.patient.visits.order_by("-visit_date", "-pk")
        .values_list("visit_date", "weight_kg")
        .first()
    )
    if latest is not None and latest[0] >= course.start_date:
        return latest[1]
    return course.baseline_weight_kg


def latest_patient_weight_kg(patient: Patient) -> Decimal | None:
    """For the visit form's plausibility check: the last weight recorded anywhere."""
    visit = patient.visits.order_by("-visit_date", "-pk").values_list("visit_date", "weight_kg")
    course = patient.courses.order_by("-start_date").values_list("start_date", "baseline_weight_kg")
    candidates = [row for row in (visit.first(), course.first()) if row is not None]
    return max(candidates)[1] if candidates else None
