"""dosing listens to the registry (registry.signals): registry changes reach what dosing has
already written, in the same transaction, without registry importing dosing."""

from __future__ import annotations

from django.dispatch import receiver

from dosing import services
from registry.models import Patient
from registry.signals import action_refused, patient_status_changed, risk_category_changed

# Each receiver returns what it changed, in sentences the page shows the person who acted.


@receiver(patient_status_changed, dispatch_uid="dosing_patient_withdrawn")
def patient_withdrawn(sender, *, patient, old, new, reason="", by, **kwargs) -> list[str]:
    if new != Patient.Status.WITHDRAWN or old == new:
        return []
    return [
        f"Course {course.number} is discontinued: what was written for it and not yet "
        "dispensed is voided, and no more can be prescribed or dispensed."
        for course in services.on_withdrawal(patient, by=by, reason=reason)
    ]


@receiver(risk_category_changed, dispatch_uid="dosing_risk_category_changed")
def risk_category(sender, *, patient, old, new, by, **kwargs) -> list[str]:
    voided = services.on_risk_category_change(patient, by=by, old=old, new=new)
    if not voided:
        return []
    return [
        f"{voided} prescription{'s' if voided > 1 else ''} written without a pregnancy test "
        "voided: a negative test and the monthly confirmation come first (R14, R16)."
    ]


@receiver(action_refused, dispatch_uid="dosing_record_refusal")
def record_refusal(sender, *, kind, by, reasons, patient=None, course=None, details=None, **kw):
    services.record_refusal(
        kind, reasons, by=by, patient=patient, course=course, details=details or {}
    )
