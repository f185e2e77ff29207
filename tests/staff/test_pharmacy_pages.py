"""The staff pharmacy list and the pharmacist's start page, in each certification state."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import CertificationChange, Pharmacy
from tests.factories import (
    PharmacistFactory,
    PharmacyCertificationFactory,
    PharmacyFactory,
    certified_pharmacy,
)

NOT_TODAY = "Your pharmacy may not dispense isotretinoin today:"


def _text(response):
    """The page's main text with tags removed and spaces collapsed."""
    html = response.content.decode()
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.DOTALL).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


# Staff: the pharmacy list ---------------------------------------------------------------------


@pytest.fixture
def three_pharmacies(registry_admin):
    certified = certified_pharmacy(by=registry_admin, name="Alder Pharmacy")
    suspended = certified_pharmacy(by=registry_admin, name="Birch Pharmacy")
    suspended.certification.suspend(by=registry_admin, reason="Inspection due")
    pending = PharmacyCertificationFactory(pharmacy=PharmacyFactory(name="Cedar Pharmacy"))
    return certified, suspended, pending.pharmacy


@pytest.mark.parametrize("persona", ["nurse", "prescriber"])
def test_staff_see_each_pharmacys_status_and_whether_it_may_dispense_today(
    client, personas, persona, three_pharmacies
):
    certified, _suspended, _pending = three_pharmacies
    client.force_login(personas[persona])
    response = client.get(reverse("staff:pharmacy-list"))
    assert response.status_code == 200
    html = response.content.decode()
    rows = html.split('data-testid="pharmacy-row"')[1:]
    assert len(rows) == 3
    alder, birch, cedar = rows
    assert "Alder Pharmacy" in alder
    assert '<span class="badge text-bg-success">Certified</span>' in alder
    assert str(certified.certification.number) in alder
    assert ">Yes<" in alder.split('data-testid="may-dispense"')[1]
    assert '<span class="badge text-bg-warning">Suspended</span>' in birch
    assert ">No<" in birch.split('data-testid="may-dispense"')[1]
    assert '<span class="badge text-bg-secondary">Pending</span>' in cedar
    assert ">No<" in cedar.split('data-testid="may-dispense"')[1]


def test_the_list_marks_an_expired_certification(client, nurse, registry_admin):
    today = timezone.localdate()
    certified_pharmacy(
        by=registry_admin,
        valid_from=today - datetime.timedelta(days=400),
        valid_until=today - datetime.timedelta(days=1),
    )
    PharmacyFactory(name="Uncertified Pharmacy")
    client.force_login(nurse)
    text = _text(client.get(reverse("staff:pharmacy-list")))
    assert "Certified Expired" in text
    assert "No certification" in text
    assert "Yes" not in text


def test_the_list_has_no_query_per_pharmacy(client, nurse, registry_admin):
    client.force_login(nurse)
    certified_pharmacy(by=registry_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("staff:pharmacy-list"))
    for _ in range(10):
        certified_pharmacy(by=registry_admin)
    PharmacyFactory()
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("staff:pharmacy-list"))
    assert len(response.context["standings"]) == 12
    assert len(many) == len(few)


def test_the_list_is_read_only(client, nurse, three_pharmacies):
    client.force_login(nurse)
    html = client.get(reverse("staff:pharmacy-list")).content.decode()
    main = html.split('<main id="main"')[1].split("</main>")[0]
    assert "<form" not in main
    assert "/admin/" not in main


# Pharmacist: the start page -------------------------------------------------------------------


def test_an_unlinked_pharmacist_is_told_plainly(client, pharmacist):
    client.force_login(pharmacist)
    response = client.get(reverse("pharmacy:home"))
    assert response.status_code == 200
    text = _text(response)
    assert text.startswith("Dispensing")
    assert "Your account is not linked to a pharmacy. Ask the registry administrator." in text
    assert NOT_TODAY not in text


@pytest.fixture
def linked(pharmacist, registry_admin):
    """The pharmacist persona, working at a pharmacy certified from today for a year."""
    today = timezone.localdate()
    pharmacy = certified_pharmacy(
        by=registry_admin,
        name="Alder Pharmacy",
        registration_number="PH-ALDER",
        valid_from=today - datetime.timedelta(days=10),
        valid_until=today + datetime.timedelta(days=100),
    )
    PharmacistFactory(user=pharmacist, pharmacy=pharmacy)
    return pharmacy


def _start_page(client, pharmacist):
    client.force_login(pharmacist)
    response = client.get(reverse("pharmacy:home"))
    assert response.status_code == 200
    return response


def test_a_certified_pharmacys_pharmacist_sees_it_may_dispense(client, pharmacist, linked):
    response = _start_page(client, pharmacist)
    text = _text(response)
    html = response.content.decode()
    assert '<h1 class="h2">Dispensing</h1>' in html
    assert "Your pharmacy may dispense isotretinoin today." in text
    assert NOT_TODAY not in text
    assert "Alder Pharmacy" in text
    assert "PH-ALDER" in text
    assert linked.certification.number in text
    assert '<span class="badge text-bg-success">Certified</span>' in html
    certification = linked.certification
    assert f"Valid from {certification.valid_from:%-d %b %Y}" in text
    assert f"Valid until {certification.valid_until:%-d %b %Y}" in text
    assert "Days left 100" in text
    assert "expires in" not in text
    assert "Look up a prescription" in text
    assert "Recent authorizations" in text


def test_the_start_page_warns_when_certification_expires_within_30_days(client, pharmacist, linked):
    certification = linked.certification
    certification.valid_until = timezone.localdate() + datetime.timedelta(days=12)
    certification.save()
    text = _text(_start_page(client, pharmacist))
    assert "Your pharmacy may dispense isotretinoin today." in text
    assert "Its certification expires in 12 days" in text


@pytest.mark.parametrize(
    ("verb", "kwargs", "badge", "problem"),
    [
        (
            "suspend",
            {"reason": "Inspection due"},
            'text-bg-warning">Suspended',
            "its certification is suspended.",
        ),
        (
            "revoke",
            {"reason": "Licence withdrawn"},
            'text-bg-danger">Revoked',
            "its certification has been revoked.",
        ),
    ],
)
def test_a_suspended_or_revoked_pharmacy_may_not_dispense(
    client, pharmacist, registry_admin, linked, verb, kwargs, badge, problem
):
    getattr(linked.certification, verb)(by=registry_admin, **kwargs)
    response = _start_page(client, pharmacist)
    text = _text(response)
    assert f"{NOT_TODAY} {problem}" in text
    assert badge in response.content.decode()
    assert "may dispense isotretinoin today." not in text.replace(NOT_TODAY, "")
    assert kwargs["reason"] not in text  # the admin's reason stays in the admin


def test_an_expired_pharmacy_may_not_dispense(client, pharmacist, registry_admin, linked):
    certification = linked.certification
    certification.valid_until = timezone.localdate() - datetime.timedelta(days=3)
    certification.save()
    response = _start_page(client, pharmacist)
    text = _text(response)
    assert (
        f"{NOT_TODAY} its certification expired on {certification.valid_until:%-d %b %Y}." in text
    )
    assert "Certified Expired" in text
    assert "expired 3 days ago" in text


def test_a_pending_pharmacy_may_not_dispense(client, pharmacist):
    certification = PharmacyCertificationFactory(number="CERT-NEW-1")
    PharmacistFactory(user=pharmacist, pharmacy=certification.pharmacy)
    response = _start_page(client, pharmacist)
    text = _text(response)
    assert f"{NOT_TODAY} its certification is still pending." in text
    assert '<span class="badge text-bg-secondary">Pending</span>' in response.content.decode()
    assert "CERT-NEW-1" in text
    assert "Valid until —" in text
    assert "Days left —" in text


def test_a_pharmacy_without_certification_may_not_dispense(client, pharmacist):
    PharmacistFactory(user=pharmacist, pharmacy=PharmacyFactory())
    text = _text(_start_page(client, pharmacist))
    assert f"{NOT_TODAY} it has no certification on record." in text


def test_a_pharmacy_certified_from_a_future_day_may_not_dispense_yet(
    client, pharmacist, registry_admin
):
    start = timezone.localdate() + datetime.timedelta(days=5)
    pharmacy = certified_pharmacy(by=registry_admin, valid_from=start)
    PharmacistFactory(user=pharmacist, pharmacy=pharmacy)
    text = _text(_start_page(client, pharmacist))
    assert f"{NOT_TODAY} its certification is valid only from {start:%-d %b %Y}." in text
    assert "Not yet valid" in text


@pytest.mark.parametrize(
    ("local", "may"),
    [(datetime.datetime(2025, 6, 30, 23, 30), True), (datetime.datetime(2025, 7, 1, 0, 30), False)],
)
def test_the_start_page_follows_the_clinics_local_date(
    client, pharmacist, registry_admin, local, may
):
    pharmacy = certified_pharmacy(
        by=registry_admin,
        valid_from=datetime.date(2025, 1, 1),
        valid_until=datetime.date(2025, 6, 30),
    )
    PharmacistFactory(user=pharmacist, pharmacy=pharmacy)
    client.force_login(pharmacist)
    zone = "Pacific/Auckland"
    with (
        override_settings(TIME_ZONE=zone),
        time_machine.travel(local.replace(tzinfo=ZoneInfo(zone)), tick=False),
    ):
        text = _text(client.get(reverse("pharmacy:home")))
    assert ("Your pharmacy may dispense isotretinoin today." in text) is may
    assert (NOT_TODAY in text) is not may


def test_other_roles_do_not_reach_the_start_page(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("pharmacy:home")).status_code == 404


@override_settings(DEBUG=True)
def test_seed_demo_makes_pharmacies_in_three_states_and_links_the_demo_pharmacist(
    client, db, capsys
):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    out = capsys.readouterr().out
    assert "Demo accounts" in out
    assert "Riverside Pharmacy" in out
    states = {
        p.registration_number: p.certification.status
        for p in Pharmacy.objects.filter(registration_number__startswith="DEMO-PH-")
    }
    assert states == {
        "DEMO-PH-001": "certified",
        "DEMO-PH-002": "suspended",
        "DEMO-PH-003": "pending",
    }
    changes = CertificationChange.objects.all()
    assert changes.count() == 3  # certified twice, suspended once: not repeated on the 2nd run
    assert {c.changed_by.username for c in changes} == {"registryadmin"}
    suspension = changes.get(to_status="suspended")
    assert suspension.reason

    client.force_login(User.objects.get(username="pharmacist"))
    text = _text(client.get(reverse("pharmacy:home")))
    assert "Riverside Pharmacy" in text
    assert "Your pharmacy may dispense isotretinoin today." in text
