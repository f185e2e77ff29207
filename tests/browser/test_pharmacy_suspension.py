"""A registry admin suspends a pharmacy in the admin, giving a reason on the action's own form;
the pharmacy's pharmacist then sees on the start page that it may not dispense (R17)."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from registry.models import CertificationChange, PharmacyCertification
from tests.browser.helpers import sign_in_from
from tests.factories import PharmacistFactory, certified_pharmacy

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "Inspection found stock outside the locked cabinet"


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions (CSP violations among them). The admin's pages
    link no favicon, so the browser's own /favicon.ico request is left out."""
    errors: list[str] = []
    page.set_default_timeout(10000)

    def on_console(msg):
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console: {msg.text} ({msg.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return errors


def test_admin_suspends_with_a_reason_and_the_pharmacist_sees_it(
    live_server, page: Page, console_errors, registry_admin, pharmacist, password
):
    pharmacy = certified_pharmacy(by=registry_admin, name="Riverside Pharmacy")
    PharmacistFactory(user=pharmacist, pharmacy=pharmacy)
    changelist = reverse("admin:registry_pharmacy_changelist")

    # The registry admin selects the pharmacy and runs "Suspend" from the action menu.
    sign_in_from(page, live_server.url, "/", registry_admin, password)
    page.goto(live_server.url + changelist)
    page.locator(f'input[name="_selected_action"][value="{pharmacy.pk}"]').check()
    page.select_option('select[name="action"]', "suspend")
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_load_state()

    # The action's form asks for a reason; without one it refuses at the field.
    expect(page.get_by_role("heading", name="Suspend certification")).to_be_visible()
    page.get_by_role("button", name="Suspend", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".field-reason .errorlist")).to_have_text(
        "Give a reason for suspending the certification."
    )
    assert PharmacyCertification.objects.get(pharmacy=pharmacy).status == "certified"

    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Suspend", exact=True).click()
    page.wait_for_load_state()
    expect(page).to_have_url(live_server.url + changelist)
    expect(page.locator(".messagelist")).to_contain_text("Suspended: Riverside Pharmacy.")

    change = CertificationChange.objects.filter(certification__pharmacy=pharmacy).first()
    assert (change.to_status, change.reason, change.changed_by) == (
        "suspended",
        REASON,
        registry_admin,
    )

    # The pharmacy's page lists the change with who and why.
    page.goto(live_server.url + reverse("admin:registry_pharmacy_change", args=[pharmacy.pk]))
    history = page.locator("table.certification-changes")
    expect(history).to_contain_text("Certified → Suspended")
    expect(history).to_contain_text(REASON)

    # The pharmacist signs in and sees the suspension on the start page.
    page.context.clear_cookies()
    sign_in_from(page, live_server.url, "/", pharmacist, password)
    expect(page).to_have_url(live_server.url + reverse("pharmacy:home"))
    expect(page.get_by_role("heading", name="Dispensing", level=1)).to_be_visible()
    expect(page.get_by_test_id("certification-status")).to_have_text("Suspended")
    expect(page.get_by_test_id("dispense-status")).to_contain_text(
        "Your pharmacy may not dispense isotretinoin today: its certification is suspended."
    )
    assert console_errors == []
