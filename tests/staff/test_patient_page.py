"""The patient page: header, placeholder sections, history; 404 for everyone else."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PatientFactory


def test_the_header_shows_registry_id_age_risk_status_and_prescriber(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber, last_name="Quist")
    client.force_login(nurse)
    html = client.get(patient.get_absolute_url()).content.decode()
    assert patient.registry_id in html
    assert f"{patient.age} (born" in html
    assert patient.get_risk_category_display() in html
    assert "Enrolled" in html
    assert prescriber.get_full_name() in html
    for section in ("Treatment courses", "Visits", "Flags", "Change history"):
        assert section in html


def test_a_missing_patient_is_404(client, nurse, db):
    client.force_login(nurse)
    assert client.get(reverse("staff:patient-detail", args=[999999])).status_code == 404


def test_a_patient_cannot_open_their_own_or_anyone_elses_staff_page(client, patient, other_patient):
    client.force_login(patient)
    for someone in (patient, other_patient):
        assert client.get(someone.patient.get_absolute_url()).status_code == 404


def test_the_page_query_count_does_not_grow_with_history(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    client.force_login(nurse)
    with CaptureQueriesContext(connection) as few:
        client.get(patient.get_absolute_url())
    for number in range(20):
        patient.phone = f"+44 20 7946 {number:04d}"
        patient.save()
    with CaptureQueriesContext(connection) as many:
        response = client.get(patient.get_absolute_url())
    assert len(many) == len(few)
    assert response.content.decode().count("Phone:") == 20
