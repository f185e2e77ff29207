"""Prescription.awaiting_pickup, the state the worklist reads from a partial index: kept by
dosing at every write (void, authorize, reverse), and the set-based refresh for bulk writers
(the demo generator, the migration) gives the same answer from the rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dosing import dispensing, services
from dosing.models import Prescription
from tests.course_fixtures import days_ago
from tests.factories import PatientFactory


def states():
    return dict(Prescription.objects.values_list("pk", "awaiting_pickup"))


def test_every_write_keeps_the_state_and_the_refresh_agrees(
    male_patient, start_course, prescribe, make_pharmacy, pharmacist, prescriber
):
    pharmacy = make_pharmacy()
    course = start_course(male_patient, start_date=days_ago(40))
    replaced = prescribe(course, on=days_ago(3))
    kept = prescribe(course, mg=40, on=days_ago(2))
    dispense = services.authorize_dispense(kept, pharmacy=pharmacy, by=pharmacist)
    other = PatientFactory(
        prescriber=prescriber, consent_treatment_on=days_ago(9), risk_category="cannot_get_pregnant"
    )
    handed_back = prescribe(start_course(other), on=days_ago(0))
    assert states() == {replaced.pk: False, kept.pk: False, handed_back.pk: True}

    dispensing.reverse_dispense(dispense, by=pharmacist, pharmacy=pharmacy, reason="Not collected.")
    assert states()[kept.pk] is True
    services.end_course(
        course, by=prescriber, status="stopped_early", reason="Clear skin.", end_date=days_ago(0)
    )
    expected = {replaced.pk: False, kept.pk: False, handed_back.pk: True}
    assert states() == expected

    Prescription.objects.filter(voided_at=None).update(awaiting_pickup=False)
    with CaptureQueriesContext(connection) as queries:
        dispensing.refresh_awaiting_pickup()
    assert len(queries) == 1  # one statement, whatever the number of prescriptions
    assert states() == expected
