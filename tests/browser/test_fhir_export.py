"""The FHIR export in Chromium (issue 18, point 1): a nurse opens a patient's page, clicks
"Download FHIR bundle" and gets a file that fhir.resources reads as an R4 Bundle of that
patient's record."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import Page, expect

from registry.models import RecordAccess
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.staff import test_fhir_export

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("FHIR_SHOTS", settings.VAR_DIR / "screenshots"))

# The patient with a record of every kind, as the bundle's tests make it.
full_patient = test_fhir_export.full_patient


def test_a_nurse_downloads_the_fhir_bundle_from_the_patient_page(
    live_server, page: Page, console_errors, nurse, full_patient, password
):
    patient = full_patient["patient"]
    sign_in(page, live_server, nurse, password)
    # As a nurse gets there: the patient list, searched by registry ID, then the patient.
    page.goto(live_server.url + reverse("staff:patient-list"))
    page.get_by_label("Name or registry ID").fill(patient.registry_id)
    page.get_by_label("Name or registry ID").press("Enter")
    page.get_by_role("link", name=patient.registry_id).click()
    expect(page.get_by_test_id("registry-id")).to_have_text(patient.registry_id)
    link = page.get_by_role("link", name="Download FHIR bundle")
    expect(link).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "fhir-patient-page.png"), full_page=True)
    assert blocking_violations(Axe(), page) == []

    before = RecordAccess.objects.filter(what="FHIR export").count()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{patient.registry_id}-everything.fhir.json"
    bundle = Bundle.model_validate_json(Path(download.path()).read_bytes())
    kinds = {entry.resource.get_resource_type() for entry in bundle.entry}
    assert kinds == test_fhir_export.EVERY_KIND
    (resource,) = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient"]
    assert resource.identifier[0].value == patient.registry_id
    assert RecordAccess.objects.filter(what="FHIR export", patient=patient).count() == before + 1
    # The download leaves the page where it was.
    expect(page.get_by_test_id("registry-id")).to_have_text(patient.registry_id)
    assert console_errors == []
