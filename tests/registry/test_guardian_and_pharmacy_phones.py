"""Guardians' and pharmacies' phone numbers are kept in E.164, as patients' are (issue 19
point 2): a number typed the local way is stored with its country code, one that is not a
phone number is refused next to its field and nothing is saved, and the migration rewrites the
numbers already on record without losing one that does not parse."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from registry.guardianship import guardian_problems
from registry.models import Guardian, Patient, Pharmacy
from registry.phones import PHONE_INVALID
from tests.factories import PharmacyFactory
from tests.registry.test_guardians import GUARDIAN, TODAY, born_years_ago, entry, form_data
from tests.registry.test_pharmacy_admin import _add_pharmacy_data


def test_a_guardians_local_number_is_stored_in_e164(client, nurse, prescriber):
    data = form_data(
        prescriber, born_years_ago(15), **{**GUARDIAN, "guardian_phone": "020 7946 0101"}
    )
    client.force_login(nurse)
    response = client.post(reverse("staff:patient-enrol"), data)
    assert response.status_code == 302
    guardian = Guardian.objects.get(patient__last_name="Okoro")
    assert str(guardian.phone.as_e164) == "+442079460101"


@pytest.mark.parametrize("typed", ["call the mother", "12", "+44 20 7946"])
def test_a_guardian_phone_that_is_no_number_is_refused_at_the_field(
    client, nurse, prescriber, typed
):
    data = form_data(prescriber, born_years_ago(15), **{**GUARDIAN, "guardian_phone": typed})
    client.force_login(nurse)
    response = client.post(reverse("staff:patient-enrol"), data)
    assert response.status_code == 200
    assert PHONE_INVALID in " ".join(response.context["form"].errors["guardian_phone"])
    assert not Patient.objects.filter(last_name="Okoro").exists()


def test_the_import_path_refuses_the_same_numbers():
    problems = guardian_problems(born_years_ago(15), entry(phone="call the mother"), TODAY)
    assert problems["phone"] == PHONE_INVALID
    assert "phone" not in guardian_problems(born_years_ago(15), entry(phone="07911 123456"), TODAY)


def test_a_pharmacy_number_is_stored_in_e164_and_a_wrong_one_refused(client, registry_admin):
    client.force_login(registry_admin)
    url = reverse("admin:registry_pharmacy_add")
    refused = client.post(url, _add_pharmacy_data(phone="ring the bell"))
    assert refused.status_code == 200
    assert not Pharmacy.objects.filter(registration_number="PH-ELM-1").exists()
    saved = client.post(url, _add_pharmacy_data(phone="020 7946 0001"))
    assert saved.status_code == 302
    pharmacy = Pharmacy.objects.get(registration_number="PH-ELM-1")
    assert pharmacy.phone.as_e164 == "+442079460001"


def test_the_migration_rewrites_valid_numbers_and_keeps_the_others_as_typed(db, prescriber):
    migration = importlib.import_module("registry.migrations.0015_guardian_pharmacy_phone_e164")
    local = PharmacyFactory(name="Local")
    odd = PharmacyFactory(name="Odd")
    Pharmacy.objects.filter(pk=local.pk).update(phone="020 7946 0002")
    Pharmacy.objects.filter(pk=odd.pk).update(phone="ask at reception")
    # The models as the migration sees them: the phone still a plain text column.
    before = MigrationLoader(connection).project_state(("registry", "0014_patient_language"))
    migration.to_e164(before.apps, None)
    assert Pharmacy.objects.get(pk=local.pk).phone.as_e164 == "+442079460002"
    assert Pharmacy.objects.get(pk=odd.pk).phone.raw_input == "ask at reception"
