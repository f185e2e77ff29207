"""The printouts in Chromium (issue 17 point 6): staff click the links on the course page and
the patient page and get a PDF; the referral letter's link is the prescriber's alone."""

import io
import os
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import Page, expect

from clinic.monitoring.models import Visit
from clinic.monitoring.services import record_pregnancy_test
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.course_fixtures import TODAY, days_ago, draw_baseline_labs

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("PRINTOUT_SHOTS", settings.VAR_DIR / "screenshots"))


def pdf_text(body: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def click_for_pdf(page: Page, link) -> str:
    """Click a printout link: the browser is sent a PDF (Chromium opens it in its viewer, as
    the staff member would see it). Returns the PDF's text."""
    with page.expect_response(lambda r: r.url.endswith(".pdf")) as answer:
        link.click()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    # The viewer keeps the body it was sent; the same URL, asked again with the browser's own
    # session, gives the bytes to read back.
    again = page.request.get(response.url)
    assert again.headers["content-type"] == "application/pdf"
    page.go_back()
    return pdf_text(again.body())


def page_errors(errors: list[str]) -> list[str]:
    """The console errors, less the viewer's request for /favicon.ico: a PDF has no <link>
    to the site's icon (base.html's), so Chromium asks the conventional path, which is 404."""
    return [error for error in errors if "/favicon.ico" not in error]


@pytest.fixture
def course_with_visit(female_patient, start_course, prescribe, record_test, nurse):
    record_test(female_patient, 25)
    record_test(female_patient, 2)
    draw_baseline_labs(female_patient, by=nurse, on=days_ago(3))
    course = start_course(female_patient, weight="64")
    rx = prescribe(course, mg=30, days=30)
    Visit.objects.create(
        patient=female_patient,
        course=course,
        visit_date=TODAY,
        weight_kg=Decimal(64),
        nodule_count=12,
        phq2_interest=0,
        phq2_mood=1,
        recorded_by=nurse,
    )
    return course, rx


def test_a_nurse_prints_the_prescription_and_the_visit_summary_from_the_course_page(
    live_server, page: Page, console_errors, nurse, course_with_visit, password
):
    course, rx = course_with_visit
    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:course-detail", args=[course.pk]))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "printout-links-course-page.png"), full_page=True)
    (SHOTS / "printout-links-course-page.html").write_text(page.content())
    assert blocking_violations(Axe(), page) == []

    text = click_for_pdf(page, page.get_by_role("link", name="Print prescription"))
    assert course.patient.registry_id in text
    assert "30 mg per intake × 2 intakes a day = 60 mg a day" in text
    assert f"{rx.window_opens:%-d %b %Y} to {rx.window_closes:%-d %b %Y}" in text

    text = click_for_pdf(page, page.get_by_role("link", name="Visit summary (PDF)"))
    assert f"Visit on {TODAY:%-d %B %Y}" in text
    assert "12" in text
    assert page_errors(console_errors) == []


def test_the_prescriber_prints_the_referral_letter_from_the_patient_page(
    live_server, page: Page, console_errors, prescriber, nurse, course_with_visit, password
):
    course, _rx = course_with_visit
    patient = course.patient
    with transaction.atomic():
        record_pregnancy_test(
            patient, by=nurse, specimen_date=TODAY, result="positive", setting="medical"
        )
    # Clinical staff see the test, and no letter to print.
    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:patient-detail", args=[patient.pk]))
    expect(page.get_by_text("Positive", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Referral letter (PDF)")).to_have_count(0)

    sign_in(page, live_server, prescriber, password)
    page.goto(live_server.url + reverse("staff:patient-detail", args=[patient.pk]))
    link = page.get_by_role("link", name="Referral letter (PDF)")
    page.screenshot(path=str(SHOTS / "printout-links-patient-page.png"), full_page=True)
    (SHOTS / "printout-links-patient-page.html").write_text(page.content())
    assert blocking_violations(Axe(), page) == []
    text = click_for_pdf(page, link)
    assert "Consultant obstetrician experienced in reproductive toxicity" in text
    assert f"positive pregnancy test on {TODAY:%-d %B %Y}" in text
    assert f"Treatment was stopped at once on {TODAY:%-d %B %Y}" in text
    assert page_errors(console_errors) == []
