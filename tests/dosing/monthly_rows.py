"""Rows for the monthly steps' tests (tests/dosing/test_monthly_steps.py, the staff pages):
each step's record made on a given day or moment, so a test can put it either side of a
month's boundary in the clinic's time zone."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from dosing.models import CounsellingConfirmation, Dispense, Prescription, TreatmentCourse
from registry.models import MonthlyConfirmation, PregnancyTest

CLINIC = ZoneInfo(settings.TIME_ZONE)
_serial = itertools.count(1)


def at(year, month, day, hour=12, minute=0) -> datetime.datetime:
    """A moment on the clinic's clock."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CLINIC)


def UTC_AT(year, month, day, hour, minute=0) -> datetime.datetime:  # noqa: N802 - a moment in UTC
    return datetime.datetime(year, month, day, hour, minute, tzinfo=datetime.UTC)


def course(patient, *, by, start: datetime.date, status="active") -> TreatmentCourse:
    return TreatmentCourse.objects.create(
        patient=patient,
        number=patient.courses.count() + 1,
        start_date=start,
        baseline_weight_kg=Decimal(70),
        baseline_nodule_count=20,
        formulation="conventional",
        status=status,
        started_by=by,
    )


def pregnancy_test(patient, day, *, by, result="negative") -> PregnancyTest:
    return PregnancyTest.objects.create(
        patient=patient, specimen_date=day, result=result, recorded_by=by
    )


def confirmation(patient, day, *, passed=True) -> MonthlyConfirmation:
    return MonthlyConfirmation.objects.create(
        patient=patient,
        confirmed_on=day,
        contraception_methods=["iud", "condom"],
        answers={},
        passed=passed,
    )


def counselled(course, first_day, *, by, moment) -> CounsellingConfirmation:
    return CounsellingConfirmation.objects.create(
        course=course, month=first_day, confirmed_by=by, confirmed_at=moment
    )


def prescription(course, day, *, by, voided=False) -> Prescription:
    return Prescription.objects.create(
        course=course,
        prescribed_on=day,
        prescribed_by=by,
        weight_kg=Decimal(70),
        mg_per_dose=30,
        doses_per_day=2,
        formulation="conventional",
        capsules_per_dose=[30],
        days_supply=30,
        window_opens=day,
        window_closes=day + datetime.timedelta(days=6),
        voided_at=at(day.year, day.month, day.day) if voided else None,
        awaiting_pickup=not voided,
    )


def pick_up(rx, moment, *, pharmacy, by, reversed_=False) -> Dispense:
    return Dispense.objects.create(
        prescription=rx,
        pharmacy=pharmacy,
        authorization_number=f"T{next(_serial):09d}",
        authorized_at=moment,
        authorized_by=by,
        quantity=rx.capsules_supplied,
        days_supply=rx.days_supply,
        reversed_at=moment + datetime.timedelta(hours=1) if reversed_ else None,
        reversed_by=by if reversed_ else None,
    )
