"""A nurse enrols a 15-year-old in Chromium (issue 17 point 5): stopped without a guardian with
the message next to the field, the guardian filled in, saved; the patient page shows the
guardian and who receives the reminders. The guardian fieldset hides for an adult (its script
is a file: the CSP allows no inline script). axe-core checks the form and the page."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from registry.guardianship import NEEDS_GUARDIAN
from registry.models import Guardian, Patient
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = timezone.localdate()
SHOTS = settings.VAR_DIR / "screenshots"


def years_ago(years: int) -> datetime.date:
    try:
        return TODAY.replace(year=TODAY.year - years)
    except ValueError:  # 29 February
        return datetime.date(TODAY.year - years, 3, 1)


def test_a_nurse_enrols_a_15_year_old_with_their_guardian(
    live_server, page: Page, console_errors, nurse, prescriber, password
):
    axe = Axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, nurse, password)
    page.get_by_role("link", name="Enrol a patient").first.click()
    guardian = page.locator("#guardian-fieldset")

    page.get_by_label("First name").fill("Kit")
    page.get_by_label("Last name").fill("Okoro")
    # An adult: the fieldset steps aside; a 15-year-old: it is there.
    page.get_by_label("Date of birth").fill(str(years_ago(30)))
    expect(guardian).to_be_hidden()
    page.get_by_label("Date of birth").fill(str(years_ago(15)))
    expect(guardian).to_be_visible()
    page.get_by_label("Sex").select_option("male")
    page.get_by_label("Email", exact=True).fill("kit.okoro@example.org")
    page.get_by_label("Prescriber").select_option(str(prescriber.pk))
    page.get_by_label("Cannot get pregnant", exact=True).check()
    page.get_by_label("Consent to treatment and registry signed on").fill(str(TODAY))
    page.get_by_role("button", name="Enrol patient").click()

    # Stopped: the message sits under the guardian's name field.
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.locator("#error_1_id_guardian_full_name")).to_have_text(NEEDS_GUARDIAN)
    expect(guardian).to_be_visible()
    assert not Patient.objects.exists()
    assert blocking_violations(axe, page) == []
    guardian.screenshot(path=f"{SHOTS}/guardian-fieldset-refused.png")

    page.get_by_label("Guardian's full name").fill("Dana Okoro")
    page.get_by_label("Relation to the patient").select_option("parent")
    page.get_by_label("Guardian's email address").fill("dana.okoro@example.org")
    page.get_by_label("Guardian's phone").fill("+44 20 7946 0101")
    page.get_by_label("The guardian signed consent").check()
    page.get_by_label("Guardian's consent signed on").fill(str(TODAY))
    page.get_by_label("Send the reminders to the guardian too").check()
    page.screenshot(path=f"{SHOTS}/guardian-enrolment-form.png", full_page=True)
    page.get_by_role("button", name="Enrol patient").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kit Okoro")
    card = page.get_by_test_id("patient-guardian")
    expect(card).to_contain_text("Dana Okoro (parent)")
    expect(card).to_contain_text("dana.okoro@example.org")
    expect(card).to_contain_text("+44 20 7946 0101")
    expect(card).to_contain_text(f"Signed {TODAY:%-d %b %Y}")
    expect(page.get_by_test_id("reminders-go-to")).to_have_text(
        "Reminders go to the guardian Dana Okoro (parent) at dana.okoro@example.org."
    )
    assert blocking_violations(axe, page) == []
    page.screenshot(path=f"{SHOTS}/guardian-patient-page.png", full_page=True)
    assert Guardian.objects.get().patient.email == "kit.okoro@example.org"

    # The edit page shows the guardian again, fieldset visible for a minor.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Guardian's full name")).to_have_value("Dana Okoro")
    expect(guardian).to_be_visible()
    assert console_errors == []


def test_without_javascript_the_guardian_fields_show_and_the_rule_holds(
    live_server, browser, nurse, password
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10000)
    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:patient-enrol"))
    expect(page.locator("#guardian-fieldset")).to_be_visible()
    context.close()
