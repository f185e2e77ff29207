"""The appointment book in Chromium (issue 19, point 1): a nurse adds a clinic session on the
day view and books a slot from the patient page; the patient sees it in the portal and asks to
cancel it; a staff member approves, and the day view shows the place free again. axe runs on
each page with its rows; screenshots go to test-results/. Then the follow-up booked from the
visit form, and the day view of one prescriber with "Attended"."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.accounts.roles import Role
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment
from clinic.reminders.models import Reminder
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.factories import UserFactory

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


def test_the_follow_up_is_booked_from_the_visit_form_and_today_s_marked_attended(
    live_server, page: Page, console_errors, nurse, prescriber, male_patient, patient, password
):
    """The visit form's slot menu follows the follow-up day as it is typed (htmx), the
    patient's prescriber's slots first; saving books it. On the day view, narrowed to one
    prescriber, today's appointment is marked attended."""
    axe = Axe()
    prescriber.first_name, prescriber.last_name = "Ada", "Okafor"
    prescriber.save()
    banda = UserFactory(
        username="dr.banda", first_name="Ruth", last_name="Banda", roles=[Role.PRESCRIBER]
    )
    for who, starts in ((prescriber, 9), (banda, 8)):
        book.create_session(
            prescriber=who,
            day=DAY,
            starts=datetime.time(starts, 0),
            ends=datetime.time(starts, 40),
            slot_minutes=20,
            capacity=1,
            by=nurse,
        )
    tonight = book.create_session(
        prescriber=prescriber,
        day=timezone.localdate(),
        starts=datetime.time(23, 0),
        ends=datetime.time(23, 20),
        slot_minutes=20,
        capacity=1,
        by=nurse,
    )
    midnight = tonight.moment(datetime.time(0, 0))
    alex = patient.patient
    booked = book.book(alex, tonight, tonight.moment(datetime.time(23, 0)), by=nurse, now=midnight)

    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:visit-new", args=[male_patient.pk]))
    expect(page.get_by_text("No free slot on")).to_be_visible()  # the suggested day: none
    page.get_by_label("Weight (kg)").fill("70")
    page.get_by_label("Total inflammatory nodule count").fill("12")
    page.locator("input[name=phq2_interest][value='0']").check()
    page.locator("input[name=phq2_mood][value='0']").check()
    page.get_by_label("Next follow up").fill(DAY.isoformat())  # fill() sends "change" too
    menu = page.get_by_label("Book an appointment on that day")
    expect(menu).to_be_visible()
    options = menu.locator("optgroup")
    expect(options.first).to_have_attribute("label", "With Ada Okafor, the patient's prescriber")
    expect(options.nth(1)).to_have_attribute("label", "Other prescribers")
    menu.select_option(label="09:20 with Ada Okafor (1 place free)")
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-visit-form")
    page.get_by_role("button", name="Save visit").click()
    expect(
        page.get_by_text(f"Booked the follow-up on {DAY:%A} {DAY.day} {DAY:%B %Y} at 09:20.")
    ).to_be_visible()
    follow_up = Appointment.objects.get(patient=male_patient)
    assert (follow_up.session.prescriber, follow_up.booked_by) == (prescriber, nurse)

    # Today's clinic of Ada Okafor only: Alex came.
    page.goto(live_server.url + reverse("staff:appointments"))
    page.get_by_label("Clinics of").select_option(label="Ada Okafor")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="23:00 to 23:20 with Ada Okafor")).to_be_visible()
    page.get_by_role("button", name="Attended").click()  # its hidden part names Alex
    expect(page.get_by_text("Marked as attended.")).to_be_visible()
    expect(page.get_by_label("Clinics of")).to_have_value(str(prescriber.pk))
    assert blocking_violations(axe, page) == []
    shoot(page, "appointments-day-attended")
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.ATTENDED
    assert console_errors == []
