"""The Nu HTML Checker (vnu.jar, the W3C validator's engine) on every page (issue 8, item 7).

Every page of the URL permission table is fetched as the role that uses it, and three forms
are posted empty so their error messages are checked too, as are the two steps of the second
factor (empty and with a wrong code) and the recovery codes page. The HTML goes to files and
one run of vnu.jar checks them all. 0 errors is the rule; warnings are not counted.
"""

import json
import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from tests.clinic.test_url_permissions import url_for
from tests.conftest import VNU_JAR
from tests.security.pages import (
    OK_PAGES,
    SECOND_FACTOR_STEPS,
    WRONG_CODE,
    at_second_factor_step,
    signed_in,
)

pytestmark = [pytest.mark.html_checker, pytest.mark.django_db]

NOT_HTML_PAGES = {
    "reminders:healthz",
    "portal:calendar-download",
    "staff:course-prescribe-check",
    "staff:import-progress",  # the import's progress bar: an htmx fragment of its page
    # The visit form's slot menu: an htmx fragment, checked inside the visit form
    # (tests/staff/test_appointment_pages.py).
    "staff:visit-follow-up-slots",
    "otp_webauthn:js-i18n-catalog",  # the passkey script's translations: JavaScript
    # The printouts: PDF files (tests/staff/test_printouts.py reads them back).
    "staff:prescription-pdf",
    "staff:visit-summary-pdf",
    "staff:referral-pdf",
    "staff:monthly-steps-csv",  # a CSV file (its page for a wrong month: test_monthly_steps_pages)
    "staff:fhir-patient-everything",  # FHIR JSON (tests/staff/test_fhir_export.py parses it)
}
FORMS_WITH_ERRORS = {
    "staff:patient-enrol": "nurse",
    "staff:visit-new": "nurse",
    "staff:course-prescribe": "prescriber",
}


def fetch(personas, name, role, *, post=False) -> bytes:
    client = Client()
    if role != "anonymous":
        client.force_login(personas[role])
    url = url_for(name, personas)
    response = client.post(url, {}) if post else client.get(url)
    assert response.status_code == 200, (name, role, response.status_code)
    assert response["Content-Type"].startswith("text/html"), name
    return response.content


def test_every_page_is_valid_html(personas, tmp_path, figures):
    documents = {}
    for name, role in OK_PAGES:
        if name not in NOT_HTML_PAGES:
            documents[f"{name}--{role}.html"] = fetch(personas, name, role)
    for name, role in FORMS_WITH_ERRORS.items():
        documents[f"{name}--{role}--errors.html"] = fetch(personas, name, role, post=True)
    for name, role, has_authenticator in SECOND_FACTOR_STEPS:
        url = reverse(name)
        for label, data in (("", None), ("--errors", WRONG_CODE)):
            client = at_second_factor_step(Client(), personas, role, has_authenticator)
            response = client.post(url, data) if data else client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            documents[f"{name}--{role}{label}.html"] = response.content
    codes_page = signed_in(Client(), personas, "prescriber").post(
        reverse("accounts:two-factor-recovery-codes")
    )
    assert codes_page.status_code == 200
    documents["two-factor-recovery-codes--prescriber.html"] = codes_page.content
    for filename, html in documents.items():
        (tmp_path / filename).write_bytes(html)
    run = subprocess.run(
        ["java", "-jar", VNU_JAR, "--errors-only", "--format", "json", "--exit-zero-always"]
        + sorted(str(path) for path in tmp_path.iterdir()),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [m for m in messages if m.get("type") == "error"]
    bad = {m["url"].rsplit("/", 1)[-1] for m in errors}
    figures("Nu HTML Checker: pages with 0 errors", len(documents) - len(bad), len(documents))
    assert not errors, "\n".join(
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in errors[:40]
    )
