"""axe-core on every page for the role that uses it, and on forms showing their errors
(issue 8, item 7): no serious or critical violation anywhere.

axe-core 4 comes inside axe-playwright-python (no download); Playwright drives the system
Chromium. The pages are those of the URL permission table (tests/security/pages.py), so a new
page is checked without being listed here. Each role is signed in by its session cookie.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from tests.clinic.test_url_permissions import url_for
from tests.security.pages import OK_PAGES, SECOND_FACTOR_STEPS, at_second_factor_step

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING = {"serious", "critical"}
# Not pages a person reads: a JSON health answer, calendar files, an htmx fragment.
NOT_HTML_PAGES = {
    "reminders:healthz",
    "portal:calendar-download",
    "staff:course-prescribe-check",
    "staff:visit-follow-up-slots",  # the visit form's slot menu: an htmx fragment of its page
    "staff:import-progress",  # the import's progress bar: an htmx fragment of its page
    "otp_webauthn:js-i18n-catalog",  # the passkey script's translations: JavaScript
    # The printouts: PDF files (tests/staff/test_printouts.py reads them back).
    "staff:prescription-pdf",
    "staff:visit-summary-pdf",
    "staff:referral-pdf",
    "staff:monthly-steps-csv",  # a CSV file (its page for a wrong month: test_monthly_steps_pages)
    "staff:fhir-patient-everything",  # FHIR JSON (tests/staff/test_fhir_export.py parses it)
}
# Forms submitted empty, so axe also sees the error messages next to the fields.
FORMS_WITH_ERRORS = {
    "staff:patient-enrol": "nurse",
    "staff:visit-new": "nurse",
    "staff:course-prescribe": "prescriber",
}


def sign_in_as(page: Page, live_server, user, client=None) -> None:
    if client is None:
        client = Client()
        client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def blocking_violations(axe: Axe, page: Page) -> list[str]:
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(", ".join(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def test_no_page_has_a_serious_or_critical_accessibility_violation(
    page: Page, live_server, personas, figures
):
    axe = Axe()
    found: dict[str, list[str]] = {}
    checked = 0

    def check(label: str) -> None:
        nonlocal checked
        checked += 1
        if problems := blocking_violations(axe, page):
            found[label] = problems

    def submit_with_errors(name: str, button: int, errors: str) -> None:
        page.locator("main form[method=post] [type=submit]").nth(button).click()
        page.wait_for_load_state()
        assert page.locator(errors).count() > 0, name

    signed_in_as = None
    pages = [(n, r) for n, r in OK_PAGES if n not in NOT_HTML_PAGES]
    for name, role in sorted(pages, key=lambda page_role: page_role[1]):
        if role != signed_in_as:
            page.context.clear_cookies()
            if role != "anonymous":
                sign_in_as(page, live_server, personas[role])
            signed_in_as = role
        page.goto(live_server.url + url_for(name, personas))
        check(f"{name} as {role}")
    for name, role in FORMS_WITH_ERRORS.items():
        sign_in_as(page, live_server, personas[role])
        page.goto(live_server.url + url_for(name, personas))
        submit_with_errors(name, -1, ".invalid-feedback, .alert-danger")
        check(f"{name} with errors as {role}")
    for name, role, has_authenticator in SECOND_FACTOR_STEPS:
        client = at_second_factor_step(Client(), personas, role, has_authenticator)
        sign_in_as(page, live_server, personas[role], client)
        page.goto(live_server.url + reverse(name))
        check(f"{name} as {role}")
        page.get_by_label("Code").fill("000000")
        submit_with_errors(name, 0, ".invalid-feedback")
        check(f"{name} with errors as {role}")
    figures("axe-core: pages with no serious or critical violation", checked - len(found), checked)
    assert not found, "\n".join(f"{page_name}: {p}" for page_name, p in found.items())
    assert checked >= len(pages)
