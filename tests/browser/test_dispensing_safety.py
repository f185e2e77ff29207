"""Dispensing safety in Chromium (issue 13): a prescriber replaces a supply that still covers
the month only with a reason (R13); a withdrawal stops everything written (R12); a pharmacist
is refused with reasons and learns nothing of another pharmacy or, at a suspended pharmacy,
of the patient (R17); after a positive pregnancy test the portal tells the patient to stop,
with no dose and no pick-up (R18).

Console errors and uncaught page errors fail every test (CSP violations, missing static files).
Screenshots go to var/screenshots/.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.accounts.roles import Role
from dosing import services
from dosing.models import Dispense, Prescription, RefusedAction, TreatmentCourse
from registry.models import Patient, Pharmacist
from tests.browser.helpers import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 375, "height": 812}


def day_month(day: datetime.date) -> str:
    """A date as the course page shows it ("j M")."""
    return f"{day.day} {day:%b}"


def day_text(day: datetime.date) -> str:
    """A date as the services word it ("%-d %b %Y")."""
    return f"{day.day} {day:%b %Y}"


def shoot(page: Page, name: str, **kwargs) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True, **kwargs)
    return path


def prescriptions_table(page: Page):
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Prescriptions and dispenses")
    )
    return section.locator("tbody tr")


def look_up(page: Page, registry_id: str, prescription: Prescription | None = None) -> None:
    page.get_by_label("Registry ID").fill(registry_id)
    if prescription is not None:
        page.get_by_label("Prescription number").fill(str(prescription.pk))
    page.get_by_role("button", name="Look up").click()


def pharmacist_at(pharmacy, username: str | None = None):
    """A pharmacist user linked to `pharmacy` (a new user when `username` is given). A name no
    patient factory draws: the pages say whose session it is, and a random pharmacist's name
    equal to the patient's would look like a leak of the patient's."""
    user = UserFactory(
        username=username, first_name="Wren", last_name="Quillfeather", roles=[Role.PHARMACIST]
    )
    Pharmacist.objects.create(user=user, pharmacy=pharmacy)
    return user


# 1. Replacing a supply that still covers the month ----------------------------------------


def test_prescriber_replaces_a_covering_supply_only_with_a_reason(
    live_server,
    page: Page,
    console_errors,
    prescriber,
    pharmacist,
    password,
    make_pharmacy,
    male_patient,
    start_course,
    prescribe,
):
    today = timezone.localdate()
    pharmacy = make_pharmacy("Riverside Pharmacy")
    course = start_course(male_patient, weight="70")
    first = prescribe(course, mg=30, days=30)
    dispense = services.authorize_dispense(first, pharmacy=pharmacy, by=pharmacist)
    assert dispense.dispensed_on == today

    sign_in(page, live_server, prescriber, password, "staff:worklist")
    prescribe_url = live_server.url + reverse("staff:course-prescribe", args=[course.pk])
    page.goto(prescribe_url)
    covering = page.get_by_test_id("covering-supply")
    expect(covering).to_contain_text(
        f"The supply dispensed on {day_text(today)} still covers 30 days"
    )
    expect(page.get_by_label("Replace the current supply: why?")).to_be_visible()

    # A new dose without a reason: refused, with the rule, and nothing is written.
    page.locator("#id_mg_per_dose").fill("20")
    page.get_by_label("Days' supply").fill("30")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    refusal = page.locator("#prescription-form .alert-danger")
    expect(refusal).to_contain_text("Not prescribed:")
    expect(refusal).to_contain_text("still covers")
    expect(refusal).to_contain_text("(R13)")
    expect(page).to_have_url(prescribe_url)
    assert list(course.prescriptions.values_list("pk", flat=True)) == [first.pk]
    dispense.refresh_from_db()
    assert (dispense.ended_on, dispense.end_reason) == (None, "")
    # Only the refusal itself is kept, for the audit trail.
    refused = RefusedAction.objects.get(kind=RefusedAction.Kind.PRESCRIBE, course=course)
    assert refused.user == prescriber
    assert any("still covers" in r and "(R13)" in r for r in refused.reasons)

    # With the reason: the new prescription is written and the old supply stops today.
    page.get_by_label("Replace the current supply: why?").fill("Dose lowered for dry lips")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    expect(page.locator(".messages .alert-success")).to_contain_text("Prescribed 20 mg × 2 a day")
    rows = prescriptions_table(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("20 mg × 2/day")
    expect(rows.nth(0)).to_contain_text("Not dispensed")
    expect(rows.nth(1)).to_contain_text("30 mg × 2/day")
    expect(rows.nth(1)).to_contain_text(
        f"Ended {day_month(today)}: Replaced mid-month: Dose lowered for dry lips"
    )
    replacement = course.prescriptions.exclude(pk=first.pk).get()
    assert (replacement.mg_per_dose, replacement.days_supply, replacement.voided_at) == (
        20,
        30,
        None,
    )
    dispense.refresh_from_db()
    assert dispense.ended_on == today
    assert dispense.end_reason == "Replaced mid-month: Dose lowered for dry lips"

    # A prescription not yet dispensed is replaced by the next one, and shows as voided.
    page.get_by_role("link", name="Prescribe", exact=True).click()
    # The page's script (static/js/prescribe.js) runs at the end of the body: wait for it, or a
    # suggested dose clicked on a slow machine does nothing.
    page.wait_for_url("**/prescribe/", wait_until="load")
    expect(page).to_have_url(prescribe_url)
    expect(page.get_by_test_id("replaces")).to_contain_text(
        "20 mg × 2 a day, 30 days), not yet dispensed: it will be voided (R13)"
    )
    expect(page.get_by_test_id("covering-supply")).to_have_count(0)
    page.locator("#id_mg_per_dose").fill("30")
    page.get_by_role("button", name="Prescribe", exact=True).click()
    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    expect(rows).to_have_count(3)
    voided = page.get_by_test_id("voided-prescription")
    expect(voided).to_have_count(1)
    expect(voided).to_contain_text("20 mg × 2/day")
    expect(voided.locator("s")).to_have_text(day_month(today))
    expect(voided.locator(".badge")).to_have_text(f"Voided {day_month(today)}")
    expect(voided).to_contain_text(f"Replaced by the prescription of {day_text(today)}.")
    expect(rows.nth(0)).to_contain_text("30 mg × 2/day")
    expect(rows.nth(0)).to_contain_text("Not dispensed")
    expect(rows.nth(0)).not_to_have_attribute("data-testid", "voided-prescription")
    replacement.refresh_from_db()
    assert replacement.voided_at is not None
    assert replacement.void_reason == f"Replaced by the prescription of {day_text(today)}."
    shoot(page, "dispensing-safety-replaced-supply.png")
    assert console_errors == []


# 2. A withdrawal stops what is written --------------------------------------------------


def test_nurse_withdraws_a_patient_and_the_pharmacist_sees_why_not(
    live_server,
    page: Page,
    console_errors,
    nurse,
    pharmacist,
    password,
    make_pharmacy,
    male_patient,
    start_course,
    prescribe,
):
    today = timezone.localdate()
    pharmacy = make_pharmacy("Riverside Pharmacy")
    Pharmacist.objects.create(user=pharmacist, pharmacy=pharmacy)
    course = start_course(male_patient)
    prescription = prescribe(course)

    sign_in(page, live_server, nurse, password, "staff:worklist")
    page.goto(live_server.url + reverse("staff:patient-detail", args=[male_patient.pk]))
    page.get_by_role("link", name="Change status").click()
    expect(page).to_have_url(
        live_server.url + reverse("staff:patient-status", args=[male_patient.pk])
    )

    # Withdrawing needs a reason; without one nothing changes.
    page.get_by_label("Status").select_option("withdrawn")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".invalid-feedback")).to_contain_text(
        "Give the reason the patient is withdrawn."
    )
    male_patient.refresh_from_db()
    assert male_patient.status != Patient.Status.WITHDRAWN
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.ACTIVE

    page.get_by_label("Reason").fill("Moved abroad")
    page.get_by_role("button", name="Change status").click()
    expect(page).to_have_url(live_server.url + male_patient.get_absolute_url())
    expect(page.get_by_test_id("patient-status")).to_have_text("Withdrawn")

    page.get_by_role("link", name=f"Course {course.number}").click()
    expect(page).to_have_url(live_server.url + course.get_absolute_url())
    expect(page.get_by_test_id("course-status")).to_have_text("Discontinued")
    expect(page.locator("header .alert-secondary")).to_have_text(
        re.compile(r"^\s*Ended: Withdrawn from the registry: Moved abroad\s*$")
    )
    voided = page.get_by_test_id("voided-prescription")
    expect(voided).to_have_count(1)
    expect(voided.locator(".badge")).to_contain_text("Voided")
    expect(voided).to_contain_text(f"The course ended on {day_text(today)} (discontinued).")
    expect(page.get_by_role("link", name="Prescribe", exact=True)).to_have_count(0)

    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert course.end_reason.startswith("Withdrawn from the registry")
    prescription.refresh_from_db()
    assert prescription.voided_at is not None

    # The pharmacist looks the prescription up: refused, with every reason.
    sign_in(page, live_server, pharmacist, password, "pharmacy:home")
    look_up(page, male_patient.registry_id, prescription)
    card = page.get_by_test_id("prescription")
    expect(card).to_contain_text(f"Prescription {prescription.pk} for {male_patient.full_name}")
    expect(card.get_by_test_id("voided")).to_contain_text("Voided")
    blockers = card.get_by_test_id("blockers")
    expect(blockers).to_contain_text(
        "This prescription cannot be dispensed by Riverside Pharmacy today:"
    )
    expect(blockers).to_contain_text(
        "The patient is withdrawn from the registry: nothing may be dispensed (R12)."
    )
    expect(blockers).to_contain_text("The course is discontinued, not active.")
    expect(blockers).to_contain_text(f"This prescription was voided on {day_text(today)}")
    expect(page.get_by_role("button", name="Authorize dispense")).to_have_count(0)
    assert not Dispense.objects.filter(prescription=prescription).exists()
    shoot(page, "dispensing-safety-withdrawn-pharmacist.png")
    assert console_errors == []


# 3. The pharmacist learns nothing that is not theirs -------------------------------------


def test_pharmacist_is_refused_without_another_pharmacys_or_patients_details(
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
    today = timezone.localdate()
    ours = make_pharmacy("Riverside Pharmacy")
    Pharmacist.objects.create(user=pharmacist, pharmacy=ours)
    other = make_pharmacy("Hillview Chemists", number="CERT-HV-7781")
    other_pharmacist = pharmacist_at(other, "pharm.osei")
    prescription = prescribe(start_course(male_patient))
    theirs = services.authorize_dispense(prescription, pharmacy=other, by=other_pharmacist)

    # Dispensed by another pharmacy: refused, saying so, with nothing of theirs on the page.
    sign_in(page, live_server, pharmacist, password, "pharmacy:home")
    look_up(page, male_patient.registry_id, prescription)
    card = page.get_by_test_id("prescription")
    expect(card).to_contain_text(f"Prescription {prescription.pk} for {male_patient.full_name}")
    blockers = card.get_by_test_id("blockers")
    expect(blockers).to_contain_text(f"Already dispensed on {day_text(today)} by another pharmacy.")
    expect(page.get_by_role("button", name="Authorize dispense")).to_have_count(0)
    expect(page.get_by_test_id("authorization-number")).to_have_count(0)
    html = page.content()
    for secret in (
        other.name,
        "Hillview",
        theirs.authorization_number,
        other.registration_number,
        "CERT-HV-7781",
        other_pharmacist.username,
    ):
        assert secret not in html, secret
    assert Dispense.objects.filter(prescription=prescription).count() == 1
    shoot(page, "dispensing-safety-other-pharmacy.png")

    # A pharmacist at a suspended pharmacy: refused at the field, and no patient detail.
    suspended = make_pharmacy("Northgate Pharmacy", status="suspended")
    suspended_pharmacist = pharmacist_at(suspended, "pharm.byrne")
    sign_in(page, live_server, suspended_pharmacist, password, "pharmacy:home")
    expect(page.get_by_test_id("dispense-status")).to_contain_text(
        "Your pharmacy may not dispense isotretinoin today"
    )
    look_up(page, male_patient.registry_id)
    field_error = page.locator("#div_id_registry_id .invalid-feedback")
    expect(field_error).to_contain_text("certification is not active today")
    expect(page.get_by_label("Registry ID")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("prescription")).to_have_count(0)
    html = page.content()
    for secret in (
        male_patient.full_name,
        male_patient.last_name,
        f"Prescription {prescription.pk}",
        other.name,
        theirs.authorization_number,
    ):
        assert secret not in html, secret
    assert not Dispense.objects.filter(pharmacy=suspended).exists()
    shoot(page, "dispensing-safety-suspended-pharmacy.png")
    assert console_errors == []


# 4. The portal after a positive pregnancy test -------------------------------------------


def test_portal_tells_the_patient_to_stop_after_a_positive_test(
    live_server,
    page: Page,
    console_errors,
    nurse,
    password,
    female_patient,
    record_test,
    start_course,
    prescribe,
):
    today = timezone.localdate()
    record_test(female_patient, 25)
    record_test(female_patient, 2)
    course = start_course(female_patient)
    prescription = prescribe(course)
    assert prescription.window_opens <= today <= prescription.window_closes
    account = UserFactory(username="sam.patient", roles=[Role.PATIENT])
    female_patient.user = account
    female_patient.save(update_fields=["user"])

    # The nurse records the positive test on the patient's pregnancy test page.
    sign_in(page, live_server, nurse, password, "staff:worklist")
    page.goto(live_server.url + reverse("staff:patient-detail", args=[female_patient.pk]))
    page.get_by_role("link", name="Record a test").click()
    expect(page).to_have_url(
        live_server.url + reverse("staff:pregnancy-test-new", args=[female_patient.pk])
    )
    page.get_by_label("Specimen date").fill(today.isoformat())
    page.get_by_label("Positive", exact=True).check()
    page.get_by_label("Medical setting (clinic or lab)").check()
    page.get_by_role("button", name="Record test").click()
    expect(page).to_have_url(live_server.url + female_patient.get_absolute_url())
    expect(page.locator(".messages")).to_contain_text(
        f"Positive pregnancy test: course {course.number} is stopped at once"
    )
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert course.end_reason == services.R18_REASON
    prescription.refresh_from_db()
    assert prescription.voided_at is not None

    # The patient signs in on a phone: stop now, call the clinic; no dose, no pick-up.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My course")

    notice = page.get_by_test_id("stop-notice")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("heading")).to_have_text("Stop taking your capsules now")
    expect(notice).to_contain_text(settings.CLINIC_PHONE)
    expect(notice.get_by_role("link", name=settings.CLINIC_PHONE)).to_have_attribute(
        "href", "tel:" + settings.CLINIC_PHONE.replace(" ", "")
    )
    main = page.locator("main")
    expect(main).not_to_contain_text("Morning")
    expect(main).not_to_contain_text("Evening")
    expect(main).not_to_contain_text("Ready to collect now")
    expect(page.get_by_test_id("today-doses")).to_contain_text("No medicine today.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "dispensing-safety-portal-stop.png")
    assert console_errors == []
