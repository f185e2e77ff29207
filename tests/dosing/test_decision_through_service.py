"""The decision table (tests/dosing/test_decision.py) again, through the service on the
database: each case's snapshot is written as rows, then authorize_dispense (or prescribe) runs
on the case's day. The service must read back the same decision, save nothing on a refusal,
and write exactly one refusal row; an allowed case writes one dispense and no refusal.
CI runs this on PostgreSQL and on SQLite."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from dosing import rules, services
from dosing import snapshot as dosing_snapshot
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from registry.models import (
    MonthlyConfirmation,
    Patient,
    Pharmacy,
    PharmacyCertification,
    PregnancyTest,
)
from tests.dosing.test_decision import CASES
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def at_noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def pharmacy_from(on_file: rules.PharmacyOnFile | None, name: str) -> Pharmacy:
    pharmacy = Pharmacy.objects.create(
        name=name, address="1 High Street", registration_number=f"REG-{name}"
    )
    if on_file is not None:
        PharmacyCertification.objects.create(
            pharmacy=pharmacy,
            number=f"CERT-{name}",
            status=on_file.certification_status,
            valid_from=on_file.valid_from,
            valid_until=on_file.valid_until,
        )
    return Pharmacy.objects.select_related("certification").get(pk=pharmacy.pk)


def dispensed(prescription: Prescription, pharmacy: Pharmacy, by, day: datetime.date, days: int):
    return Dispense.objects.create(
        prescription=prescription,
        pharmacy=pharmacy,
        authorization_number=f"A{prescription.pk:09d}",
        authorized_at=at_noon(day),
        authorized_by=by,
        quantity=days * 2,
        days_supply=days,
    )


def write_rows(snap: rules.Snapshot, prescriber, pharmacist):
    """The snapshot as the application stores it. Returns (course, prescription, pharmacy)."""
    patient = PatientFactory(
        prescriber=prescriber,
        risk_category=(
            Patient.RiskCategory.CAN_GET_PREGNANT
            if snap.can_get_pregnant
            else Patient.RiskCategory.CANNOT_GET_PREGNANT
        ),
        status=Patient.Status.WITHDRAWN if snap.patient_withdrawn else Patient.Status.IN_TREATMENT,
        consent_treatment_on=snap.course.start - datetime.timedelta(days=30),
    )
    course = TreatmentCourse.objects.create(
        patient=patient,
        number=1,
        start_date=snap.course.start,
        baseline_weight_kg=snap.latest_weight_kg,
        last_weight_kg=snap.latest_weight_kg,
        baseline_nodule_count=20,
        formulation=str(snap.course.formulation),
        target_mg_per_kg=snap.course.target_mg_per_kg,
        status=snap.course.status,
        end_date=snap.course.end,
        started_by=prescriber,
    )
    for test in snap.tests:
        PregnancyTest.objects.create(
            patient=patient,
            specimen_date=test.specimen_date,
            result="positive" if test.positive else "negative",
            recorded_by=prescriber,
        )
    for day in snap.confirmations:
        MonthlyConfirmation.objects.create(
            patient=patient, confirmed_on=day, contraception_methods=[], answers={}, passed=True
        )
    always = rules.PharmacyOnFile(
        "Elsewhere", "certified", datetime.date(2000, 1, 1), datetime.date(2100, 1, 1)
    )
    elsewhere = pharmacy_from(always, "Elsewhere")

    def prescription(supply: rules.SupplyAsked, written_on: datetime.date) -> Prescription:
        return Prescription.objects.create(
            course=course,
            prescribed_on=written_on,
            prescribed_by=prescriber,
            weight_kg=supply.written_weight_kg,
            mg_per_dose=int(supply.mg_per_dose),
            doses_per_day=supply.doses_per_day,
            formulation=course.formulation,
            capsules_per_dose=[int(supply.mg_per_dose)],
            days_supply=min(max(supply.days, 1), 30),
            window_opens=supply.window_opens or written_on,
            window_closes=supply.window_closes or written_on,
            written_can_get_pregnant=supply.written_can_get_pregnant,
        )

    for held in snap.live_supplies:
        earlier = prescription(
            rules.SupplyAsked(
                mg_per_dose=held.daily_mg,  # once a day: any daily total is a whole number
                doses_per_day=1,
                days=held.days,
                written_on=held.dispensed_on,
                written_can_get_pregnant=snap.can_get_pregnant,
                written_weight_kg=snap.latest_weight_kg,
            ),
            held.dispensed_on,
        )
        dispensed(earlier, elsewhere, pharmacist, held.dispensed_on, held.days)
    asked = None
    if snap.action == rules.Action.DISPENSE:
        asked = prescription(snap.supply, snap.supply.written_on)
        Prescription.objects.filter(pk=asked.pk).update(days_supply=snap.supply.days)
        if snap.supply.voided_on:
            Prescription.objects.filter(pk=asked.pk).update(
                voided_at=at_noon(snap.supply.voided_on),
                void_reason=snap.supply.void_reason,
                awaiting_pickup=False,
            )
        if snap.supply.dispensed_on:
            dispensed(asked, elsewhere, pharmacist, snap.supply.dispensed_on, snap.supply.days)
        asked = Prescription.objects.select_related("course__patient").get(pk=asked.pk)
    elif snap.course.has_earlier_prescriptions and not snap.live_supplies:
        Prescription.objects.filter(
            pk=prescription(snap.supply, snap.on - datetime.timedelta(days=60)).pk
        ).update(voided_at=at_noon(snap.on - datetime.timedelta(days=59)), awaiting_pickup=False)
    pharmacy = pharmacy_from(snap.pharmacy, snap.pharmacy.name) if snap.pharmacy else elsewhere
    return course, asked, pharmacy


# A day's supply may be 31 in the table (R13); the database's own constraint refuses that row
# before any rule can, so that case is the form's and the service's test (test_services.py).
THROUGH_SERVICE = [case for case in CASES if case[1].supply.days <= 30]


@pytest.mark.parametrize(
    ("snapshot", "allowed"),
    [pytest.param(snap, ok, id=name) for name, snap, ok, _ in THROUGH_SERVICE],
)
def test_the_decision_table_through_the_service(snapshot, allowed, prescriber, pharmacist):
    course, asked, pharmacy = write_rows(snapshot, prescriber, pharmacist)
    dispenses = Dispense.objects.count()
    prescriptions = Prescription.objects.count()
    if snapshot.action == rules.Action.DISPENSE:
        # The service reads back the decision the table states.
        # (A page asks without a pharmacy; the counter then dispenses at a certified one.)
        read_back = dosing_snapshot.dispense_decision(
            asked, on=snapshot.on, pharmacy=pharmacy if snapshot.pharmacy else None
        )
        assert read_back.refusals == rules.decide(snapshot).refusals
        action = lambda: services.authorize_dispense(  # noqa: E731
            asked, pharmacy=pharmacy, by=pharmacist, on=snapshot.on
        )
    else:
        action = lambda: services.prescribe(  # noqa: E731
            course,
            by=prescriber,
            prescribed_on=snapshot.on,
            baseline_labs=snapshot.baseline_labs or rules.BaselineLabs(),
            weight_kg=snapshot.latest_weight_kg,
            mg_per_dose=int(snapshot.supply.mg_per_dose),
            doses_per_day=snapshot.supply.doses_per_day,
            days_supply=snapshot.supply.days,
        )
    if allowed:
        action()
        assert not RefusedAction.objects.exists()
        if snapshot.action == rules.Action.DISPENSE:
            assert Dispense.objects.count() == dispenses + 1
        else:
            assert Prescription.objects.count() == prescriptions + 1
    else:
        with pytest.raises(services.Refused):
            action()
        assert RefusedAction.objects.count() == 1
        assert Dispense.objects.count() == dispenses
        assert Prescription.objects.count() == prescriptions


def test_every_table_case_but_the_31_day_one_runs_through_the_service():
    assert len(THROUGH_SERVICE) == len(CASES) - 1
