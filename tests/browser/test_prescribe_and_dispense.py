"""A prescriber starts a course and prescribes in Chromium, guided by the suggested doses and the
live (htmx) dose check; a pharmacist looks the prescription up and authorizes the dispense, and
a suspended pharmacy sees why it may not.

Console errors and uncaught page errors fail every test (CSP violations, missing static files).
"""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from dosing.models import Dispense, TreatmentCourse
from registry.models import Pharmacist
from tests.browser.helpers import sign_in
from tests.course_fixtures import draw_baseline_labs

pytestmark = pytest.mark.django_db(transaction=True)

RESULTS = Path("test-results")


def start_course_in_browser(page: Page, live_server, patient, formulation_label) -> None:
    page.goto(live_server.url + reverse("staff:patient-detail", args=[patient.pk]))
    page.get_by_role("link", name="Start a course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a treatment course")
    page.get_by_label("Weight today (kg)").fill("70")
    page.get_by_label("Total inflammatory nodule count today").fill("24")
    page.get_by_label(formulation_label).check()
    page.get_by_role("button", name="Start course").click()
    expect(page.get_by_test_id("course-week")).to_have_text("Week 1 of 20")


def prescriptions_table(page: Page):
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Prescriptions and dispenses")
    )
    return section.locator("tbody tr")


def test_prescriber_starts_a_course_and_prescribes_with_the_live_check(
    live_server, page: Page, console_errors, prescriber, male_patient, password
):
    assert not TreatmentCourse.objects.filter(patient=male_patient).exists()
    draw_baseline_labs(male_patient, by=prescriber)  # R19: before the first prescription
    sign_in(page, live_server, prescriber, password, "staff:worklist")

    start_course_in_browser(page, live_server, male_patient, "Conventional capsules")
    course = TreatmentCourse.objects.get(patient=male_patient)
    assert (course.formulation, course.baseline_weight_kg, course.baseline_nodule_count) == (
        "conventional",
        70,
        24,
    )
    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    expect(page.locator("progress.cumulative-bar")).to_be_visible()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "course-page.png"), full_page=True)

    page.get_by_role("link", name="Prescribe", exact=True).click()
    # The page's script (static/js/prescribe.js) runs at the end of the body: wait for it, or a
    # suggested dose clicked on a slow machine does nothing.
    page.wait_for_url("**/prescribe/", wait_until="load")
    expect(page).to_have_url(live_server.url + reverse("staff:course-prescribe", args=[course.pk]))

    # Label table for 70 kg: 0.5, 1 and 2 mg/kg/day.
    label_cells = page.get_by_test_id("label-table").locator("tbody td")
    expect(label_cells).to_have_text(["35 mg", "70 mg", "140 mg"])

    # Conventional capsules (10, 20, 30, 40 mg): 20 and 30 mg per dose fit 17.5 to 35 mg;
    # there is no 35 mg, so 30 mg is the full dose.
    suggestions = page.get_by_test_id("suggestions")
    buttons = suggestions.locator("[data-dose]")
    expect(buttons).to_have_count(2)
    assert [buttons.nth(i).get_attribute("data-dose") for i in range(2)] == ["20", "30"]
    expect(suggestions).not_to_contain_text("35 mg")
    expect(buttons.nth(0)).not_to_contain_text("full dose")
    expect(buttons.nth(1)).to_contain_text("30 mg twice daily")
    expect(buttons.nth(1)).to_contain_text("full dose")

    dose_field = page.locator("#id_mg_per_dose")
    dose_check = page.locator("#dose-check")
    suggestions.locator("[data-dose='30']").click()
    expect(dose_field).to_have_value("30")
    expect(dose_check.get_by_test_id("check-summary")).to_have_text(
        "60 mg/day is 0.86 mg/kg/day for 70 kg"
    )

    # A dose no capsules make is refused live, before anything is submitted.
    dose_field.fill("33")
    expect(dose_check.get_by_test_id("check-refusals")).to_contain_text(
        "33 mg per dose cannot be made"
    )
    expect(page).to_have_url(live_server.url + reverse("staff:course-prescribe", args=[course.pk]))
    assert not course.prescriptions.exists()

    dose_field.fill("30")
    expect(dose_check.get_by_test_id("check-summary")).to_have_text(
        "60 mg/day is 0.86 mg/kg/day for 70 kg"
    )
    page.get_by_role("button", name="Prescribe", exact=True).click()

    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    rows = prescriptions_table(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("30 mg × 2/day")
    expect(rows.first).to_contain_text("Not dispensed")
    prescription = course.prescriptions.get()
    assert (prescription.mg_per_dose, prescription.doses_per_day) == (30, 2)
    assert console_errors == []


def test_prescriber_picks_the_35_mg_absorica_full_dose(
    live_server, page: Page, console_errors, prescriber, male_patient, password
):
    sign_in(page, live_server, prescriber, password, "staff:worklist")
    draw_baseline_labs(male_patient, by=prescriber)
    start_course_in_browser(page, live_server, male_patient, "Absorica (10")
    course = TreatmentCourse.objects.get(patient=male_patient)
    assert course.formulation == "absorica"

    page.get_by_role("link", name="Prescribe", exact=True).click()
    # The page's script (static/js/prescribe.js) runs at the end of the body: wait for it, or a
    # suggested dose clicked on a slow machine does nothing.
    page.wait_for_url("**/prescribe/", wait_until="load")
    full_dose = page.get_by_test_id("suggestions").locator("[data-dose='35']")
    expect(full_dose).to_contain_text("35 mg twice daily")
    expect(full_dose).to_contain_text("full dose")
    full_dose.click()
    expect(page.locator("#id_mg_per_dose")).to_have_value("35")
    expect(page.get_by_test_id("check-summary")).to_have_text("70 mg/day is 1 mg/kg/day for 70 kg")
    page.get_by_role("button", name="Prescribe", exact=True).click()

    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    rows = prescriptions_table(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("35 mg × 2/day")
    expect(rows.first).to_contain_text("Not dispensed")
    assert course.prescriptions.get().mg_per_dose == 35
    assert console_errors == []


def look_up(page: Page, registry_id: str) -> None:
    page.get_by_label("Registry ID").fill(registry_id)
    page.get_by_role("button", name="Look up").click()


def test_pharmacist_at_a_certified_pharmacy_authorizes_a_dispense(
    live_server,
    page: Page,
    console_errors,
    pharmacist,
    password,
    make_pharmacy,
    male_patient,
    start_course,
    prescribe,
):
    pharmacy = make_pharmacy("Riverside Pharmacy")
    Pharmacist.objects.create(user=pharmacist, pharmacy=pharmacy)
    prescription = prescribe(start_course(male_patient))

    sign_in(page, live_server, pharmacist, password, "pharmacy:home")
    look_up(page, male_patient.registry_id)
    card = page.get_by_test_id("prescription")
    expect(card).to_contain_text(f"Prescription {prescription.pk} for {male_patient.full_name}")
    expect(card).to_contain_text("30 mg × 2 a day")
    card.get_by_role("button", name="Authorize dispense").click()

    success = page.locator(".messages .alert-success")
    expect(success).to_contain_text("Authorization number")
    dispense = Dispense.objects.get(prescription=prescription)
    assert dispense.pharmacy == pharmacy
    expect(success).to_contain_text(f"Authorization number {dispense.authorization_number}")
    expect(page.get_by_test_id("authorization-number")).to_have_text(dispense.authorization_number)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "pharmacy-dispensed.png"), full_page=True)
    assert console_errors == []


def test_pharmacist_at_a_suspended_pharmacy_sees_why_and_no_button(
    live_server,
    page: Page,
    console_errors,
    pharmacist,
    password,
    make_pharmacy,
    male_patient,
    start_course,
    prescribe,
):
    pharmacy = make_pharmacy("Hillside Pharmacy", status="suspended")
    Pharmacist.objects.create(user=pharmacist, pharmacy=pharmacy)
    prescription = prescribe(start_course(male_patient))

    sign_in(page, live_server, pharmacist, password, "pharmacy:home")
    expect(page.get_by_test_id("dispense-status")).to_contain_text("suspended")
    look_up(page, male_patient.registry_id)
    # A pharmacy that may not dispense today looks nobody up (R17): the reason sits next to
    # the field, and nothing about the patient shows.
    expect(page.locator("body")).to_contain_text("certification is not active today")
    expect(page.get_by_test_id("prescription")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(male_patient.full_name)
    expect(page.get_by_role("button", name="Authorize dispense")).to_have_count(0)
    assert not Dispense.objects.filter(prescription=prescription).exists()
    assert console_errors == []


def test_without_baseline_labs_the_prescriber_gives_a_reason_in_the_browser(
    live_server, page: Page, console_errors, prescriber, male_patient, start_course, password
):
    """R19 at the moment of writing: no baseline labs on file, so the first prescription is
    refused with the reason; a reason typed instead lets it be written, and is kept with it."""
    course = start_course(male_patient)
    sign_in(page, live_server, prescriber, password, "staff:worklist")
    page.goto(live_server.url + reverse("staff:course-prescribe", args=[course.pk]))
    labs = page.get_by_test_id("baseline-labs")
    expect(labs).to_contain_text("Fasting lipids (triglycerides and total cholesterol): none")
    page.locator("#id_mg_per_dose").fill("30")
    expect(page.locator("#dose-check")).to_contain_text("(R19)")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("needs baseline fasting lipids")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "prescribe-without-baseline-labs.png"), full_page=True)
    assert not course.prescriptions.exists()

    page.get_by_label("Baseline labs not on file: why they are not needed").fill(
        "Drawn by the GP last week; letter on file"
    )
    page.get_by_role("button", name="Prescribe", exact=True).click()
    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    prescription = course.prescriptions.get()
    assert any("letter on file (R19)" in warning for warning in prescription.warnings)
    assert console_errors == []
