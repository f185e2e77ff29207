"""Records for dosing and course tests, made through the same services the pages use."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dosing import services
from dosing.rules import BaselineLabs
from registry.models import (
    MonthlyConfirmation,
    Patient,
    Pharmacy,
    PharmacyCertification,
    PregnancyTest,
)
from tests.factories import PatientFactory

TODAY = timezone.localdate()


def days_ago(n):
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def make_pharmacy(registry_admin):
    def make(name="Riverside Pharmacy", status="certified", number=None):
        pharmacy = Pharmacy.objects.create(
            name=name,
            address="1 High Street",
            phone="+44 20 7946 0100",
            registration_number=f"REG-{name[:8]}",
            responsible_pharmacist="P. Nair",
        )
        certification = PharmacyCertification.objects.create(
            pharmacy=pharmacy, number=number or f"CERT-{name[:8]}"
        )
        if status in ("certified", "suspended", "revoked"):
            certification.certify(
                by=registry_admin,
                valid_from=days_ago(100),
                valid_until=TODAY + datetime.timedelta(days=265),
            )
        if status == "suspended":
            certification.suspend(by=registry_admin, reason="Inspection overdue")
        if status == "revoked":
            certification.revoke(by=registry_admin, reason="Breach")
        return pharmacy

    return make


@pytest.fixture
def male_patient(prescriber):
    return PatientFactory(
        prescriber=prescriber,
        sex=Patient.Sex.MALE,
        risk_category=Patient.RiskCategory.CANNOT_GET_PREGNANT,
        consent_treatment_on=days_ago(30),
    )


def confirm_month(patient, day=None):
    """A passed monthly confirmation (R16), as the portal records it."""
    return MonthlyConfirmation.objects.create(
        patient=patient,
        confirmed_on=day or TODAY,
        contraception_methods=["iud", "condom"],
        answers={},
        passed=True,
    )


@pytest.fixture
def female_patient(prescriber):
    """Can get pregnant, consented, and this month's confirmation done (R16)."""
    patient = PatientFactory(
        prescriber=prescriber,
        risk_category=Patient.RiskCategory.CAN_GET_PREGNANT,
        consent_treatment_on=days_ago(40),
    )
    confirm_month(patient)
    return patient


@pytest.fixture
def record_test(nurse):
    def record(patient, days_before_today, result="negative"):
        return PregnancyTest.objects.create(
            patient=patient,
            specimen_date=days_ago(days_before_today),
            result=result,
            recorded_by=nurse,
        )

    return record


@pytest.fixture
def start_course(prescriber):
    def start(patient, *, weight="70", formulation="conventional", start_date=None, nodules=20):
        return services.start_course(
            patient,
            by=prescriber,
            start_date=start_date or TODAY,
            baseline_weight_kg=Decimal(weight),
            baseline_nodule_count=nodules,
            formulation=formulation,
        )

    return start


def draw_baseline_labs(patient, *, by, on=None, **labs):
    """A visit with fasting lipids and liver tests (R19), all within the limits unless `labs`
    says otherwise: what the prescribing page reads as the baseline labs."""
    from clinic.monitoring.models import Visit

    values = {
        "triglycerides": Decimal(120),
        "triglycerides_unit": "mg/dL",
        "total_cholesterol": Decimal(180),
        "cholesterol_unit": "mg/dL",
        "alt": 25,
        "ast": 22,
        **labs,
    }
    return Visit.objects.create(
        patient=patient,
        visit_date=on or TODAY,
        weight_kg=Decimal(70),
        nodule_count=10,
        phq2_interest=0,
        phq2_mood=0,
        recorded_by=by,
        **values,
    )


def labs_drawn(day) -> BaselineLabs:
    """Baseline lipids and liver tests (R19) drawn on `day`, as the visits would hold them."""
    return BaselineLabs(lipids_on=day, liver_tests_on=day)


@pytest.fixture
def prescribe(prescriber):
    """Write a prescription through the service; the baseline labs (R19) were drawn the day it
    is written unless `labs` says otherwise (tests/dosing/test_baseline_labs.py tests them)."""

    def write(course, *, mg=30, per_day=2, days=30, weight=None, on=None, labs=None):
        day = on or TODAY
        return services.prescribe(
            course,
            by=prescriber,
            prescribed_on=day,
            weight_kg=Decimal(weight or course.baseline_weight_kg),
            mg_per_dose=mg,
            doses_per_day=per_day,
            days_supply=days,
            baseline_labs=labs or labs_drawn(day),
        )

    return write
