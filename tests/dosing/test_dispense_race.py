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
