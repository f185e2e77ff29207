"""The patient's language (issue 19 point 3): chosen by staff at enrolment or on an edit, kept
when a form leaves it out, shown on the patient page, and refused when it is not one of the
clinic's languages. The staff patient page also lists each reminder consent with its number."""

from __future__ import annotations

from django.urls import reverse

from registry.models import Patient
from registry.services import update_patient
from tests.registry.test_enrolment import enrolment_fields, post, prior_rows


def enrolment(prescriber, **extra) -> dict:
    return {**enrolment_fields(prescriber), **prior_rows(), **extra}


def test_staff_enrol_a_patient_in_spanish(client, nurse, prescriber):
    response = post(client, nurse, enrolment(prescriber, language="es"))
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.language == Patient.Language.SPANISH
    page = client.get(patient.get_absolute_url()).content.decode()
    assert 'data-testid="patient-language">Español<' in page


def test_a_form_without_the_language_keeps_the_patients(client, nurse, prescriber):
    post(client, nurse, enrolment(prescriber, language="es"))
    patient = Patient.objects.get()
    data = enrolment(prescriber, phone="+44 20 7946 0999")
    response = client.post(reverse("staff:patient-edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.language, str(patient.phone.as_e164)) == ("es", "+442079460999")


def test_a_language_the_clinic_does_not_offer_is_refused_at_the_field(client, nurse, prescriber):
    response = post(client, nurse, enrolment(prescriber, language="fr"))
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_the_patient_page_lists_each_consent_with_its_number(client, nurse, prescriber):
    post(
        client,
        nurse,
        enrolment(
            prescriber, phone="07911 123456", reminder_consent="on", reminder_channel="sms"
        ),
    )
    patient = Patient.objects.get()
    update_patient(patient, by=nurse, phone="07911 654321")  # withdraws, records anew
    page = client.get(patient.get_absolute_url()).content.decode()
    history = page.split('data-testid="consent-history"')[1].split("</details>")[0]
    assert history.index("+447911654321") < history.index("+447911123456")  # newest first
    assert history.count("in force") == 1
    assert "withdrawn" in history
