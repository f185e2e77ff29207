"""Status changes: withdrawal needs a reason and keeps everything; nothing is ever deleted."""

from django.urls import reverse

from registry.models import Patient
from tests.factories import PatientFactory


def test_withdrawal_needs_a_reason_and_changes_nothing_without_one(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    client.force_login(nurse)
    url = reverse("staff:patient-status", args=[patient.pk])
    response = client.post(url, {"status": "withdrawn", "reason": "  "})
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ENROLLED
    assert patient.history.count() == 1


def test_withdrawal_keeps_the_record_and_shows_the_reason(client, nurse, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    client.force_login(nurse)
    response = client.post(
        reverse("staff:patient-status", args=[patient.pk]),
        {"status": "withdrawn", "reason": "Moved abroad"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == Patient.Status.WITHDRAWN
    assert patient.status_reason == "Moved abroad"
    assert patient.status_changed_at is not None
    latest = patient.history.first()
    assert latest.history_user == nurse
    page = client.get(patient.get_absolute_url()).content.decode()
    assert "Moved abroad" in page
    assert "Enrolled → Withdrawn" in page


def test_other_status_changes_need_no_reason(client, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    client.force_login(prescriber)
    client.post(reverse("staff:patient-status", args=[patient.pk]), {"status": "between_courses"})
    patient.refresh_from_db()
    assert patient.status == Patient.Status.BETWEEN_COURSES


def test_patients_cannot_be_deleted_in_the_admin(client, registry_admin, prescriber):
    patient = PatientFactory(prescriber=prescriber)
    client.force_login(registry_admin)
    response = client.post(
        reverse("admin:registry_patient_delete", args=[patient.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()
