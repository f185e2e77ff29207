"""The appointment book in Chromium (issue 19, point 1): a nurse adds a clinic session on the
day view and books a slot from the patient page; the patient sees it in the portal and asks to
cancel it; a staff member approves, and the day view shows the place free again. axe runs on
each page with its rows; screenshots go to test-results/."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.monitoring.models import Appointment
from clinic.reminders.models import Reminder
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "test-results"
DAY = timezone.localdate() + datetime.timedelta(days=3)


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_nurse_books_the_patient_asks_to_cancel_and_staff_approve(
    live_server, page: Page, console_errors, nurse, prescriber, patient, password
):
    alex = patient.patient
    axe = Axe()
    prescriber.first_name, prescriber.last_name = "Ada", "Okafor"
    prescriber.save()

    # The nurse adds a morning session on the day view.
    sign_in(page, live_server, nurse, password)
    page.get_by_role("link", name="Appointments", exact=True).click()
    page.goto(live_server.url + reverse("staff:appointments") + f"?day={DAY.isoformat()}")
    expect(page.get_by_text("No clinic session on this day.")).to_be_visible()
    page.get_by_label("Prescriber").select_option(label="Ada Okafor")
    page.get_by_label("Starts").fill("09:00")
    page.get_by_label("Ends").fill("10:00")
    page.get_by_label("Slot length (minutes)").fill("20")
    page.get_by_label("Patients per slot").fill("2")
    page.get_by_role("button", name="Add the session").click()
    expect(page.get_by_role("heading", name="09:00 to 10:00 with Ada Okafor")).to_be_visible()

    # ... and books Alex into 09:20 from the patient page.
    page.goto(live_server.url + reverse("staff:patient-detail", args=[alex.pk]))
    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_label("Free slot").select_option(
        label=f"{DAY:%a %d %b %Y}, 09:20 with Ada Okafor (2 places free)"
    )
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-book")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(f"Booked Alex Rivera on {DAY:%A %d %B %Y} at 09:20.")).to_be_visible()
    expect(page.get_by_test_id("patient-appointments")).to_contain_text("09:20 with Ada Okafor")
    shoot(page, "appointments-patient-page")
    appointment = Appointment.objects.get(patient=alex)
    assert Reminder.objects.filter(subject_key=f"appointment:{appointment.pk}").exists()
    page.goto(live_server.url + reverse("staff:appointments") + f"?day={DAY.isoformat()}")
    expect(page.get_by_role("link", name="Alex Rivera")).to_be_visible()
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-day")

    # The patient sees it in the portal and asks to cancel.
    sign_in(page, live_server, patient, password, lands_on="portal:home")
    expect(page.get_by_test_id("next-appointment")).to_contain_text(f"{DAY:%A} {DAY.day}")
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-portal-home")
    page.get_by_role("link", name="See or change your appointments").click()
    expect(
        page.get_by_role("heading", name=f"{DAY:%A} {DAY.day} {DAY:%B %Y} at 09:20")
    ).to_be_visible()
    page.get_by_text("Ask to cancel or move").click()
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-portal")
    page.get_by_label("Cancel", exact=True).check()
    page.get_by_label("Message to the clinic").fill("I am away that week.")
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_test_id("request-pending")).to_contain_text("You asked to cancel")
    shoot(page, "appointments-portal-requested")

    # A staff member approves; the place is free again.
    sign_in(page, live_server, prescriber, password)
    page.goto(live_server.url + reverse("staff:appointment-requests"))
    expect(page.get_by_text("I am away that week.")).to_be_visible()
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-requests")
    page.get_by_role("button", name="Approve the cancellation").click()
    expect(page.get_by_text("Approved for Alex Rivera.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    page.goto(live_server.url + reverse("staff:appointments") + f"?day={DAY.isoformat()}")
    expect(page.get_by_role("link", name="Alex Rivera")).to_have_count(0)
    assert console_errors == []
