"""The pharmacy's side of dispensing: find a prescription by registry ID, reverse an
authorization that was not picked up (R17). Authorizing is services.authorize_dispense, which
asks the one decision (rules.decide) with the rows locked."""

from __future__ import annotations

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from dosing.models import Dispense, Prescription, RefusedAction
from dosing.services import _refuse
from dosing.text import Text as _
from registry.audit import changed_by
from registry.models import Patient, Pharmacy
from registry.registry_id import format_id, is_valid, normalize


def find_prescription(
    registry_id_text: str, prescription_id: int | None, *, by, pharmacy: Pharmacy | None = None
):
    """Look up a patient by registry ID (check character verified) and one of their
    prescriptions (the newest not voided when none is named). A failed lookup is a recorded
    refusal whose reason names nothing the asker did not type."""

    def refuse(reason, **related):
        _refuse(
            RefusedAction.Kind.DISPENSE,
            [reason],
            by=by,
            pharmacy=pharmacy,
            details={"registry_id": registry_id_text[:20], "prescription": prescription_id},
            **related,
        )

    if not is_valid(registry_id_text):
        refuse(
            _(
                "That is not a valid registry ID: the check character does not match. Ask the "
                "clinic to read it again."
            )
        )
    registry_id = format_id(normalize(registry_id_text))
    patient = Patient.objects.filter(registry_id=registry_id).first()
    if patient is None:
        refuse(_("No patient has the registry ID %(id)s.", id=registry_id))
    prescriptions = Prescription.objects.filter(course__patient=patient).select_related(
        "course__patient"
    )
    if prescription_id is None:
        prescription = prescriptions.not_voided().first() or prescriptions.first()
        if prescription is None:
            refuse(_("%(id)s has no prescription.", id=registry_id), patient=patient)
        return patient, prescription
    prescription = prescriptions.filter(pk=prescription_id).first()
    if prescription is None:
        refuse(_("%(id)s has no prescription with that number.", id=registry_id), patient=patient)
    return patient, prescription


def reverse_dispense(dispense: Dispense, *, by, pharmacy: Pharmacy | None, reason: str):
    """The pharmacy reverses an authorization that was not picked up (R17)."""
    reasons = []
    if dispense.is_reversed:
        reasons.append(_("This authorization is already reversed."))
    if pharmacy is not None and dispense.pharmacy_id != pharmacy.pk:
        reasons.append(_("Only the pharmacy that holds the authorization can reverse it."))
    if not reason.strip():
        reasons.append(_("Give the reason for the reversal (for example: not picked up)."))
    if reasons:
        _refuse(
            RefusedAction.Kind.REVERSE,
            reasons,
            by=by,
            prescription=dispense.prescription,
            pharmacy=dispense.pharmacy,
        )
    with transaction.atomic():
        dispense = Dispense.objects.select_for_update().get(pk=dispense.pk)
        dispense.reversed_at = timezone.now()
        dispense.reversed_by = by
        dispense.reversal_reason = reason.strip()
        changed_by(dispense, by).save()
        # Handed back: to be picked up again, unless it was voided meanwhile.
        Prescription.objects.filter(pk=dispense.prescription_id, voided_at=None).update(
            awaiting_pickup=True
        )
    return dispense


def refresh_awaiting_pickup() -> int:
    """Set awaiting_pickup on every prescription from its rows, in one statement: for writers
    that bypass the services (the demo generator's bulk COPY). Returns the rows updated."""
    live = Dispense.objects.filter(prescription=OuterRef("pk"), reversed_at=None)
    awaiting = ExpressionWrapper(Q(voided_at=None) & ~Exists(live), output_field=BooleanField())
    return Prescription.objects.update(awaiting_pickup=awaiting)
