"""Records for dosing and course tests, made through the same services the pages use."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dosing import services
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


@pytest.fixture
def prescribe(prescriber):
    def write(course, *, mg=30, per_day=2, days=30, weight=None, on=None):
        return services.prescribe(
            course,
            by=prescriber,
            prescribed_on=on or TODAY,
            weight_kg=Decimal(weight or course.baseline_weight_kg),
            mg_per_dose=mg,
            doses_per_day=per_day,
            days_supply=days,
        )

    return write
