"""The snapshot: everything the one decision (dosing.rules.decide) needs about a course, a
supply and a pharmacy, read in a fixed number of queries. Pages ask dispense_decision before
showing a button; the services ask again with the rows locked."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from dosing import rules
from dosing.models import Dispense, Prescription, TreatmentCourse
from registry.models import Patient, Pharmacy, PregnancyTest


def _pharmacy_on_file(pharmacy: Pharmacy | None) -> rules.PharmacyOnFile | None:
    if pharmacy is None:
        return None
    certification = getattr(pharmacy, "certification", None)
    if certification is None:
        return rules.PharmacyOnFile(pharmacy.name, None)
    return rules.PharmacyOnFile(
        pharmacy.name, certification.status, certification.valid_from, certification.valid_until
    )


def supply_asked(prescription: Prescription, *, pharmacy: Pharmacy | None = None):
    live = prescription.live_dispense()
    return rules.SupplyAsked(
        mg_per_dose=Decimal(prescription.mg_per_dose),
        doses_per_day=prescription.doses_per_day,
        days=prescription.days_supply,
        written_on=prescription.prescribed_on,
        written_can_get_pregnant=prescription.written_can_get_pregnant,
        written_weight_kg=prescription.weight_kg,
        window_opens=prescription.window_opens,
        window_closes=prescription.window_closes,
        voided_on=timezone.localdate(prescription.voided_at) if prescription.voided_at else None,
        void_reason=prescription.void_reason,
        dispensed_on=live.dispensed_on if live else None,
        dispensed_here=bool(live and pharmacy and live.pharmacy_id == pharmacy.pk),
    )


def snapshot(
    course: TreatmentCourse,
    supply: rules.SupplyAsked,
    *,
    action: rules.Action,
    on: datetime.date,
    pharmacy: Pharmacy | None = None,
    weight_kg: Decimal | None = None,
    exclude_prescription: int | None = None,
    replacing: bool = False,
    baseline_labs: rules.BaselineLabs | None = None,
) -> rules.Snapshot:
    """What holds on `on` for this course's patient, as plain values for rules.decide.

    `replacing`: the prescriber replaces the current supply, so live supplies do not count
    against the new one (they stop counting when it is written)."""
    patient = course.patient
    tests = tuple(
        rules.TestOnFile(day, result == PregnancyTest.Result.POSITIVE)
        for day, result in patient.pregnancy_tests.filter(specimen_date__lte=on).values_list(
            "specimen_date", "result"
        )
    )
    since = on - datetime.timedelta(days=rules.CONFIRMATION_VALID_DAYS - 1)
    confirmations = tuple(
        patient.monthly_confirmations.filter(
            passed=True, confirmed_on__gte=since, confirmed_on__lte=on
        ).values_list("confirmed_on", flat=True)
    )
    live_rows = (
        Dispense.objects.live()
        .filter(prescription__course=course)
        .exclude(prescription_id=exclude_prescription)
        .select_related("prescription")
    )
    live = tuple(d.as_supply() for d in live_rows if d.days_covered > 0)
    written_before = course.prescriptions.exclude(pk=exclude_prescription).exists()
    opened = (
        course.prescriptions.undispensed().exclude(pk=exclude_prescription).count()
        if action == rules.Action.PRESCRIBE
        else 0
    )
    if replacing:
        # The supply being replaced is the patient's until today; only the days it covered count.
        live = tuple(
            rules.LiveSupply(s.dispensed_on, max(0, (on - s.dispensed_on).days), s.daily_mg)
            for s in live
            if (on - s.dispensed_on).days > 0
        )
    return rules.Snapshot(
        action=action,
        on=on,
        patient_withdrawn=patient.status == Patient.Status.WITHDRAWN,
        can_get_pregnant=patient.can_get_pregnant,
        tests=tests,
        confirmations=confirmations,
        course=rules.CourseOnFile(
            status=course.status,
            status_label=course.get_status_display(),
            start=course.start_date,
            formulation=course.formulation,
            target_mg_per_kg=course.target_mg_per_kg,
            end=course.end_date,
            has_earlier_prescriptions=written_before,
        ),
        supply=supply,
        live_supplies=live,
        latest_weight_kg=Decimal(weight_kg) if weight_kg is not None else course.current_weight_kg,
        pharmacy=_pharmacy_on_file(pharmacy),
        open_prescriptions=opened,
        baseline_labs=baseline_labs,
    )


def dispense_decision(
    prescription: Prescription, *, on: datetime.date, pharmacy: Pharmacy | None = None
) -> rules.Decision:
    """May this prescription be handed out on `on` (at `pharmacy`, when given)? Pages ask it
    before showing a button or a dose; authorize_dispense asks it again with the rows locked."""
    course = prescription.course
    snap = snapshot(
        course,
        supply_asked(prescription, pharmacy=pharmacy),
        action=rules.Action.DISPENSE,
        on=on,
        pharmacy=pharmacy,
        exclude_prescription=prescription.pk,
    )
    return rules.decide(snap)


def supplies_of(course: TreatmentCourse) -> list[rules.Supply]:
    rows = (
        Dispense.objects.live().filter(prescription__course=course).select_related("prescription")
    )
    return [rules.Supply(Decimal(d.prescription.daily_mg), d.days_covered) for d in rows]
