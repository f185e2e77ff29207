"""A nurse enrols a patient in Chromium, finds them by part of the registry ID, opens the page
and sees the history entry; the keyboard alone is enough for the form."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.models import Patient
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_nurse_enrols_finds_and_opens_a_patient(
    live_server, page: Page, nurse, prescriber, password
):
    page.set_default_timeout(10000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, live_server, nurse, password)
    page.get_by_role("link", name="Enrol a patient").first.click()

    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Date of birth").fill("2003-07-09")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Email", exact=True).fill("noor.haddad@example.org")
    page.get_by_label("Prescriber").select_option(str(prescriber.pk))
    page.get_by_label("Can get pregnant", exact=True).check()
    page.get_by_label("Consent to treatment and registry signed on").fill("2026-11-20")
    page.get_by_label("Topical retinoids", exact=True).check()
    page.get_by_role("button", name="Enrol patient").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Noor Haddad")
    registry_id = page.get_by_test_id("registry-id").inner_text()
    assert Patient.objects.get(email="noor.haddad@example.org").registry_id == registry_id
    expect(page.get_by_role("status").first).to_contain_text(registry_id)

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Name or registry ID").fill(registry_id[5:9].lower())
    page.get_by_role("button", name="Find").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="Haddad, Noor").click()

    history = page.locator("section", has=page.get_by_role("heading", name="Change history"))
    expect(history).to_contain_text("Created · Patient record")
    expect(history).to_contain_text(nurse.get_full_name())
    expect(history).to_contain_text("Prior treatment: Topical retinoids")
    page.screenshot(path="test-results/patient-page.png", full_page=True)
    assert errors == []


def test_a_refused_enrolment_shows_the_message_next_to_the_field(
    live_server, page: Page, nurse, password
):
    page.set_default_timeout(10000)
    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:patient-enrol"))
    page.get_by_label("Date of birth").fill("2020-01-01")
    page.get_by_role("button", name="Enrol patient").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    feedback = page.locator(
        "#id_date_of_birth ~ .invalid-feedback, "
        "#id_date_of_birth + .invalid-feedback, "
        "[id^=error_][id*=date_of_birth]"
    )
    expect(feedback.first).to_contain_text("at least 12 years old")
    assert not Patient.objects.exists()
