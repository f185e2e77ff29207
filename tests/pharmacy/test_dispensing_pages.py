"""Dispensing in the browser's terms: a pharmacist looks up a prescription by registry ID,
gets an authorization number or the reasons it is refused, and reverses one not picked up."""

import pytest
from django.urls import reverse

from dosing.models import Dispense, RefusedAction
from registry.models import Pharmacist


@pytest.fixture
def rx(male_patient, start_course, prescribe):
    return prescribe(start_course(male_patient))


@pytest.fixture
def at_pharmacy(pharmacist, make_pharmacy):
    def link(status="certified", name="Riverside Pharmacy"):
        pharmacy = make_pharmacy(name, status=status)
        Pharmacist.objects.update_or_create(user=pharmacist, defaults={"pharmacy": pharmacy})
        return pharmacy

    return link


def authorize(client, rx, **extra):
    """The form's POST: the registry ID travels with the prescription number."""
    data = {"registry_id": rx.course.patient.registry_id, **extra}
    return client.post(reverse("pharmacy:dispense", args=[rx.pk]), data, follow=True)


def lookup(client, patient, prescription=None):
    params = {"registry_id": patient.registry_id.lower().replace("-", "")}
    if prescription:
        params["prescription"] = prescription.pk
    return client.get(reverse("pharmacy:home"), params)


def test_a_pharmacist_at_a_certified_pharmacy_gets_an_authorization_number(
    client, pharmacist, at_pharmacy, rx
):
    pharmacy = at_pharmacy()
    client.force_login(pharmacist)
    page = lookup(client, rx.course.patient)
    html = page.content.decode()
    assert f"Prescription {rx.pk} for {rx.course.patient.full_name}" in html
    assert "Authorize dispense" in html
    response = authorize(client, rx)
    dispense = Dispense.objects.get()
    assert (dispense.pharmacy, dispense.authorized_by, dispense.quantity) == (
        pharmacy,
        pharmacist,
        60,
    )
    html = response.content.decode()
    assert f"Authorization number {dispense.authorization_number}" in html
    assert "Dispensed: authorization <strong" in html
    assert "cannot be dispensed" not in html  # a done dispense is not shown as a refusal


def test_a_pharmacist_at_a_suspended_pharmacy_is_refused_with_the_reason(
    client, pharmacist, at_pharmacy, rx
):
    pharmacy = at_pharmacy(status="suspended")
    client.force_login(pharmacist)
    patient = rx.course.patient
    html = lookup(client, patient).content.decode()
    # A pharmacy that may not dispense today learns nothing about the patient.
    assert "certification is not active today" in html
    assert patient.full_name not in html
    response = authorize(client, rx)
    html = response.content.decode()
    assert "Not authorized: Riverside Pharmacy may not dispense" in html
    assert "its certification is suspended (R17)" in html
    assert patient.full_name not in html
    assert not Dispense.objects.exists()
    refusal = RefusedAction.objects.get()
    assert (refusal.kind, refusal.user, refusal.pharmacy) == ("dispense", pharmacist, pharmacy)


def test_a_mistyped_registry_id_is_explained_next_to_the_field_and_recorded(
    client, pharmacist, at_pharmacy, rx
):
    pharmacy = at_pharmacy()
    client.force_login(pharmacist)
    good = rx.course.patient.registry_id
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    page = client.get(reverse("pharmacy:home"), {"registry_id": typo})
    assert "the check character does not match" in page.context["form"].errors["registry_id"][0]
    assert RefusedAction.objects.get().pharmacy == pharmacy


def test_a_pharmacist_reverses_an_authorization_not_picked_up(client, pharmacist, at_pharmacy, rx):
    at_pharmacy()
    client.force_login(pharmacist)
    authorize(client, rx)
    dispense = Dispense.objects.get()
    response = client.post(
        reverse("pharmacy:reverse", args=[dispense.pk]), {"reason": "Not picked up"}, follow=True
    )
    assert f"Authorization {dispense.authorization_number} is reversed." in (
        response.content.decode()
    )
    dispense.refresh_from_db()
    assert dispense.is_reversed
    assert dispense.reversal_reason == "Not picked up"


def test_another_pharmacys_authorization_is_404(
    client, pharmacist, at_pharmacy, rx, make_pharmacy, prescriber
):
    from dosing import services

    at_pharmacy()
    other = make_pharmacy("Hilltop Pharmacy")
    dispense = services.authorize_dispense(rx, pharmacy=other, by=prescriber)
    client.force_login(pharmacist)
    response = client.post(reverse("pharmacy:reverse", args=[dispense.pk]), {"reason": "x"})
    assert response.status_code == 404
    dispense.refresh_from_db()
    assert not dispense.is_reversed


def test_staff_dispense_on_a_pharmacys_behalf(client, nurse, make_pharmacy, rx):
    pharmacy = make_pharmacy("Phone-in Pharmacy")
    client.force_login(nurse)
    page = client.get(
        reverse("pharmacy:staff-dispense"),
        {"pharmacy": pharmacy.pk, "registry_id": rx.course.patient.registry_id},
    )
    assert "Authorize dispense" in page.content.decode()
    response = client.post(
        reverse("pharmacy:staff-dispense-authorize", args=[rx.pk]),
        {"pharmacy": pharmacy.pk},
        follow=True,
    )
    dispense = Dispense.objects.get()
    assert (dispense.pharmacy, dispense.authorized_by) == (pharmacy, nurse)
    assert dispense.authorization_number in response.content.decode()


def test_an_unlinked_pharmacist_cannot_dispense(client, pharmacist, rx):
    client.force_login(pharmacist)
    assert client.post(reverse("pharmacy:dispense", args=[rx.pk])).status_code == 404
    assert not Dispense.objects.exists()


def test_the_dispensing_post_needs_the_patients_registry_id_with_the_prescription(
    client, pharmacist, at_pharmacy, rx, female_patient
):
    """Any other combination is 404 and shows nothing: no name, no ID, no authorization."""
    at_pharmacy()
    client.force_login(pharmacist)
    url = reverse("pharmacy:dispense", args=[rx.pk])
    patient = rx.course.patient
    good = patient.registry_id
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    for data in (
        {},
        {"registry_id": ""},
        {"registry_id": typo},
        {"registry_id": female_patient.registry_id},
        {"registry_id": "x" * 5000},
    ):
        response = client.post(url, data)
        assert response.status_code == 404, data
        html = response.content.decode()
        assert patient.full_name not in html
        assert good not in html
    assert not Dispense.objects.exists()
    assert authorize(client, rx).status_code == 200
    assert Dispense.objects.count() == 1


def test_a_pharmacist_sees_no_other_pharmacys_name_or_authorization(
    client, pharmacist, at_pharmacy, rx, make_pharmacy, prescriber
):
    from dosing import services

    at_pharmacy()
    other = make_pharmacy("Hilltop Pharmacy")
    dispense = services.authorize_dispense(rx, pharmacy=other, by=prescriber)
    client.force_login(pharmacist)
    html = lookup(client, rx.course.patient, rx).content.decode()
    assert "Already dispensed on" in html
    assert "by another pharmacy" in html
    assert "Hilltop" not in html
    assert dispense.authorization_number not in html
    html = authorize(client, rx).content.decode()
    assert "Not authorized: Already dispensed" in html
    assert "Hilltop" not in html
    assert dispense.authorization_number not in html
