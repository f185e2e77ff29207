"""Audit wiring: every change to a registry record is in its history with who made it."""

from django.test import RequestFactory
from simple_history.middleware import HistoryRequestMiddleware

from tests.factories import PatientFactory


def test_each_change_to_a_patient_is_recorded_with_the_user_from_the_request(nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    request = RequestFactory().post("/")
    request.user = nurse

    def change_phone(_request):
        patient.phone = "+44 20 7946 0000"
        patient.save()
        return None

    HistoryRequestMiddleware(change_phone)(request)
    latest, created = patient.history.all()[:2]
    assert created.history_type == "+"
    assert latest.history_type == "~"
    assert latest.history_user == nurse
    assert latest.phone == "+44 20 7946 0000"
    assert latest.history_date is not None


def test_a_new_patient_gets_a_valid_registry_id(db):
    from registry.registry_id import is_valid

    patient = PatientFactory()
    assert is_valid(patient.registry_id)
