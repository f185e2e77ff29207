"""A course with history for the portal tests: prescriptions made and dispensed through the
dosing services (pregnancy tests and monthly confirmations where required), visits recorded.

The course started 40 days ago; prescriptions are written and dispensed 10 days apart, the
last one 10 days ago (with four: days -40, -30, -20, -10), each for 10 days but the last, for
30, so one supply at a time (R13) and the last one in force today. Visits fall between them,
the latest planning a follow-up in 18 days.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clinic.monitoring.models import Visit
from dosing import services
from dosing.models import Dispense
from registry.models import Patient, PregnancyTest
from tests.course_fixtures import confirm_month, labs_drawn

TODAY = timezone.localdate()
START_DAYS_AGO = 40
FOLLOW_UP_IN_DAYS = 18  # the schedule plans a visit at +16 (day 56): the booked one differs


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def make_visit(patient, course, *, on, nodules, by, follow_up=None, weight="70"):
    return Visit.objects.create(
        patient=patient,
        course=course,
        visit_date=on,
        weight_kg=Decimal(weight),
        nodule_count=nodules,
        phq2_interest=0,
        phq2_mood=0,
        next_follow_up=follow_up or on + datetime.timedelta(days=28),
        recorded_by=by,
    )


@pytest.fixture
def build_course(prescriber, nurse, pharmacist, make_pharmacy, start_course):
    pharmacies = {}

    def build(patient: Patient, *, prescriptions=2, visits=1, doses=(20, 30), nodules=20):
        if not patient.consent_treatment_on:
            patient.consent_treatment_on = days_ago(60)
            patient.save()
        course = start_course(
            patient, start_date=days_ago(START_DAYS_AGO), weight="70", nodules=nodules
        )
        if "pharmacy" not in pharmacies:
            pharmacies["pharmacy"] = make_pharmacy("Riverside Pharmacy")
        pharmacy = pharmacies["pharmacy"]
        if patient.can_get_pregnant:
            PregnancyTest.objects.create(
                patient=patient,
                specimen_date=days_ago(10 * prescriptions + 25),
                result="negative",
                recorded_by=nurse,
            )
        written = []
        for i in range(prescriptions):
            day = days_ago(10 * (prescriptions - i))
            if patient.can_get_pregnant:
                PregnancyTest.objects.create(
                    patient=patient, specimen_date=day, result="negative", recorded_by=nurse
                )
                confirm_month(patient, day)
            rx = services.prescribe(
                course,
                by=prescriber,
                prescribed_on=day,
                baseline_labs=labs_drawn(day),
                weight_kg=Decimal(70),
                mg_per_dose=doses[min(i, len(doses) - 1)],
                doses_per_day=2,
                # One supply at a time (R13): each runs out as the next is dispensed.
                days_supply=30 if i == prescriptions - 1 else 10,
            )
            dispense = services.authorize_dispense(rx, pharmacy=pharmacy, by=pharmacist, on=day)
            at = datetime.datetime.combine(
                day, datetime.time(11, 0), tzinfo=timezone.get_current_timezone()
            )
            Dispense.objects.filter(pk=dispense.pk).update(authorized_at=at)
            written.append(rx)
        for j in range(visits):
            on = days_ago(START_DAYS_AGO - 5 - 10 * j)
            last = j == visits - 1
            make_visit(
                patient,
                course,
                on=on,
                nodules=max(nodules - 4 * (j + 1), 0),
                by=nurse,
                follow_up=TODAY + datetime.timedelta(days=FOLLOW_UP_IN_DAYS) if last else None,
            )
        course.refresh_from_db()
        return course

    return build
