"""Two pharmacies racing to dispense one prescription: exactly one gets an authorization.

Real concurrent transactions on separate database connections (threads). On PostgreSQL the
prescription row lock makes the second wait and then see the first dispense; on SQLite the
write lock and the partial unique constraint do the same job. Runs on both in CI.
"""

import threading

import pytest
from django.db import connection

from dosing import services
from dosing.models import Dispense, RefusedAction
from tests.course_fixtures import labs_drawn

pytestmark = pytest.mark.django_db(transaction=True)


def test_exactly_one_of_two_concurrent_dispenses_succeeds(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist
):
    prescription = prescribe(start_course(male_patient))
    pharmacies = [make_pharmacy("North Pharmacy"), make_pharmacy("South Pharmacy")]
    barrier = threading.Barrier(2)
    outcomes = []

    def dispense(pharmacy):
        try:
            barrier.wait(timeout=10)
            services.authorize_dispense(prescription, pharmacy=pharmacy, by=pharmacist)
            outcomes.append("authorized")
        except services.Refused as refusal:
            outcomes.append(refusal.reasons[0])
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=dispense, args=(p,)) for p in pharmacies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o == "authorized" for o in outcomes) == [False, True], outcomes
    refusal = next(o for o in outcomes if o != "authorized")
    assert "Already dispensed" in refusal or "a moment ago by another pharmacy" in refusal
    assert Dispense.objects.filter(prescription=prescription).count() == 1
    assert RefusedAction.objects.filter(kind="dispense").count() == 1
    assert connection.vendor in {"postgresql", "sqlite"}


def test_a_replacement_racing_a_dispense_has_one_consistent_outcome(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist, prescriber
):
    """A prescriber writes a new prescription (voiding the undispensed one) while a pharmacy
    dispenses the undispensed one: the course lock lets exactly one through, and the other is
    refused for what the first did (voided, or a supply that still covers 30 days)."""
    from decimal import Decimal

    from dosing.models import Prescription

    course = start_course(male_patient)
    old = prescribe(course)
    pharmacy = make_pharmacy("North Pharmacy")
    barrier = threading.Barrier(2)
    outcomes = {}

    def dispense():
        try:
            barrier.wait(timeout=10)
            services.authorize_dispense(old, pharmacy=pharmacy, by=pharmacist)
            outcomes["dispense"] = "ok"
        except services.Refused as refusal:
            outcomes["dispense"] = " ".join(refusal.reasons)
        finally:
            connection.close()

    def replace():
        try:
            barrier.wait(timeout=10)
            services.prescribe(
                course,
                by=prescriber,
                prescribed_on=old.prescribed_on,
                baseline_labs=labs_drawn(old.prescribed_on),
                weight_kg=Decimal(70),
                mg_per_dose=20,
                doses_per_day=2,
                days_supply=30,
            )
            outcomes["replace"] = "ok"
        except services.Refused as refusal:
            outcomes["replace"] = " ".join(refusal.reasons)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispense), threading.Thread(target=replace)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(v == "ok" for v in outcomes.values()) == [False, True], outcomes
    old.refresh_from_db()
    if outcomes["dispense"] == "ok":
        assert not old.is_voided
        assert "still covers" in outcomes["replace"]
        assert Prescription.objects.filter(course=course).count() == 1
    else:
        assert old.is_voided
        assert "voided" in outcomes["dispense"]
        assert not Dispense.objects.exists()
