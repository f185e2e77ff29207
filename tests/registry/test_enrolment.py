"""Enrolment: every required field, the age rule (R11), consent, duplicates, registry IDs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Patient, PriorTreatment
from registry.registry_id import is_valid
from tests.factories import PatientFactory

TODAY = timezone.localdate()


def prior_rows(**tried):
    """Management form and six rows, as the page posts them; tried={kind: {fields}}."""
    data = {"prior-TOTAL_FORMS": "6", "prior-INITIAL_FORMS": "6"}
    for index, kind in enumerate(PriorTreatment.Kind):
        data[f"prior-{index}-kind"] = kind.value
        data[f"prior-{index}-outcome"] = "unknown"
        if kind.value in tried:
            data[f"prior-{index}-tried"] = "on"
            for key, value in tried[kind.value].items():
                data[f"prior-{index}-{key}"] = value
    return data


def enrolment_fields(prescriber) -> dict:
    """The patient's own fields of a valid enrolment (no earlier-treatment rows)."""
    return {
        "first_name": "Maya",
        "last_name": "Lindgren",
        "date_of_birth": "2005-03-14",
        "sex": "female",
        "email": "maya.lindgren@example.org",
        "phone": "+44 20 7946 0011",
        "prescriber": str(prescriber.pk),
        "risk_category": "can_get_pregnant",
        "consent_treatment_on": str(TODAY),
        "notes": "",
    }


@pytest.fixture
def enrolment(prescriber):
    return {
        **enrolment_fields(prescriber),
        **prior_rows(
            oral_antibiotic={"started_on": "2024-06-01", "outcome": "relapsed"},
            other={"other_text": "Blue light therapy", "outcome": "no_improvement"},
        ),
    }


def with_prior(data, **tried):
    kept = {key: value for key, value in data.items() if not key.startswith("prior-")}
    return {**kept, **prior_rows(**tried)}


def post(client, user, data):
    client.force_login(user)
    return client.post(reverse("staff:patient-enrol"), data)


def test_a_nurse_enrols_a_patient_with_prior_treatments(client, nurse, enrolment):
    response = post(client, nurse, enrolment)
    patient = Patient.objects.get(email="maya.lindgren@example.org")
    assert response.status_code == 302
    assert response.url == reverse("staff:patient-detail", args=[patient.pk])
    assert is_valid(patient.registry_id)
    assert patient.enrolled_by == nurse
    assert patient.status == Patient.Status.ENROLLED
    assert patient.consent_treatment_on == TODAY
    treatments = {row.kind: row for row in patient.prior_treatments.all()}
    assert set(treatments) == {"oral_antibiotic", "other"}
    assert treatments["oral_antibiotic"].started_on == datetime.date(2024, 6, 1)
    assert treatments["other"].other_text == "Blue light therapy"
    assert patient.history.get().history_user == nurse


def refused(response, field, message):
    """The page is shown again with `message` next to `field`, and nothing was saved."""
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    assert message in response.content.decode().replace("&#x27;", "'")
    assert "Nothing was saved" in response.content.decode()


def test_it_refuses_a_patient_under_12(client, nurse, enrolment):
    enrolment["date_of_birth"] = str(TODAY.replace(year=TODAY.year - 11))
    refused(post(client, nurse, enrolment), "date_of_birth", "at least 12 years old")
    assert not Patient.objects.exists()


def test_a_patient_turning_12_today_may_enrol(client, nurse, enrolment):
    try:
        born = TODAY.replace(year=TODAY.year - 12)
    except ValueError:  # 29 February: the twelfth birthday counts from 1 March
        born = datetime.date(TODAY.year - 12, 3, 1)
    enrolment["date_of_birth"] = str(born)
    # Under 18: with a guardian's consent (tests/registry/test_guardians.py has the rule).
    enrolment.update(
        guardian_full_name="Lena Lindgren",
        guardian_relation="parent",
        guardian_phone="+44 20 7946 0012",
        guardian_consent_given="on",
        guardian_consent_on=str(TODAY),
    )
    assert post(client, nurse, enrolment).status_code == 302


def test_it_refuses_a_birth_date_in_the_future(client, nurse, enrolment):
    enrolment["date_of_birth"] = str(TODAY + datetime.timedelta(days=1))
    refused(post(client, nurse, enrolment), "date_of_birth", "in the future")
    assert not Patient.objects.exists()


def test_it_refuses_enrolment_without_consent(client, nurse, enrolment):
    enrolment["consent_treatment_on"] = ""
    refused(post(client, nurse, enrolment), "consent_treatment_on", "required")
    assert not Patient.objects.exists()


def test_it_refuses_a_missing_risk_category(client, nurse, enrolment):
    del enrolment["risk_category"]
    refused(post(client, nurse, enrolment), "risk_category", "required")


def test_the_prescriber_must_be_in_the_prescriber_group(client, nurse, enrolment):
    enrolment["prescriber"] = str(nurse.pk)
    refused(post(client, nurse, enrolment), "prescriber", "Select a valid choice")


def test_the_same_email_is_refused_with_a_link_to_the_existing_patient(client, nurse, enrolment):
    existing = PatientFactory(email="Maya.Lindgren@example.org")
    response = post(client, nurse, enrolment)
    refused(response, "email", "already in the registry")
    assert f'href="{existing.get_absolute_url()}"' in response.content.decode()
    assert Patient.objects.count() == 1


def test_the_same_name_and_birth_date_asks_for_confirmation(client, nurse, enrolment):
    PatientFactory(
        first_name="Maya", last_name="Lindgren", date_of_birth=datetime.date(2005, 3, 14)
    )
    response = post(client, nurse, enrolment)
    refused(response, "confirm_not_duplicate", "same name and date of birth")
    assert Patient.objects.count() == 1
    enrolment["confirm_not_duplicate"] = "on"
    assert post(client, nurse, enrolment).status_code == 302
    assert Patient.objects.count() == 2


def test_reminder_consent_needs_a_channel_and_a_way_to_reach_the_patient(client, nurse, enrolment):
    enrolment["reminder_consent"] = "on"
    refused(post(client, nurse, enrolment), "reminder_channel", "Choose how")
    enrolment["reminder_channel"] = "sms"
    enrolment["phone"] = ""
    refused(post(client, nurse, enrolment), "phone", "need a phone number")
    enrolment["phone"] = "+44 7911 123456"  # a valid number (07700 900xxx is not, by design)
    assert post(client, nurse, enrolment).status_code == 302
    patient = Patient.objects.get()
    assert patient.reminder_channel == "sms"
    assert patient.reminder_consent_on == TODAY


def test_an_other_treatment_needs_its_name(client, nurse, enrolment):
    enrolment = with_prior(enrolment, other={"other_text": ""})
    response = post(client, nurse, enrolment)
    assert response.status_code == 200
    assert "Say which other treatment" in response.content.decode()
    assert not Patient.objects.exists()


def test_a_prescriber_is_proposed_as_the_prescriber(client, prescriber):
    client.force_login(prescriber)
    form = client.get(reverse("staff:patient-enrol")).context["form"]
    assert form.initial["prescriber"] == prescriber.pk


def test_editing_records_what_changed_and_who_changed_it(client, nurse, prescriber, enrolment):
    post(client, nurse, enrolment)
    patient = Patient.objects.get()
    client.force_login(prescriber)
    enrolment["phone"] = "+44 20 7946 0999"
    enrolment = with_prior(enrolment, oral_antibiotic={"outcome": "side_effects"})
    response = client.post(reverse("staff:patient-edit", args=[patient.pk]), enrolment)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+44 20 7946 0999"
    assert patient.history.first().history_user == prescriber
    assert set(patient.prior_treatments.values_list("kind", flat=True)) == {"oral_antibiotic"}
    page = client.get(patient.get_absolute_url()).content.decode()
    assert "+44 20 7946 0011 → +44 20 7946 0999" in page
