"""dosing listens to the registry (registry.signals): registry changes reach what dosing has
already written, in the same transaction, without registry importing dosing."""

from __future__ import annotations

from django.dispatch import receiver

from dosing import services
from registry.models import Patient
from registry.signals import action_refused, patient_status_changed, risk_category_changed


@receiver(patient_status_changed, dispatch_uid="dosing_patient_withdrawn")
def patient_withdrawn(sender, *, patient, old, new, reason="", by, **kwargs):
    if new == Patient.Status.WITHDRAWN and old != new:
        services.on_withdrawal(patient, by=by, reason=reason)


@receiver(risk_category_changed, dispatch_uid="dosing_risk_category_changed")
def risk_category(sender, *, patient, old, new, by, **kwargs):
    services.on_risk_category_change(patient, by=by, old=old, new=new)


@receiver(action_refused, dispatch_uid="dosing_record_refusal")
def record_refusal(sender, *, kind, by, reasons, patient=None, details=None, **kwargs):
    services.record_refusal(kind, reasons, by=by, patient=patient, details=details or {})
