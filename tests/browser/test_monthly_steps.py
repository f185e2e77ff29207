"""A prescriber confirms this month's counselling from the patient page's "This month" card,
and the card and the worklist's "Monthly steps missing" section follow; a wrong month asked
for the CSV shows the reason next to the field. axe-core checks each of them as shown."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from dosing.models import CounsellingConfirmation
from dosing.monthly_steps import Month
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = settings.VAR_DIR / "screenshots"


def shoot(locator, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SHOTS / f"{name}.png"))


def test_a_prescriber_confirms_counselling_and_the_checklist_follows(
    live_server,
    page: Page,
    console_errors,
    prescriber,
    password,
    female_patient,
    male_patient,
    start_course,
    record_test,
):
    axe = Axe()
    month = Month.current()
    start_course(female_patient)
    record_test(female_patient, 0)
    start_course(male_patient)

    sign_in(page, live_server, prescriber, password)
    monthly = page.locator("#monthly")
    expect(page.get_by_test_id("count-monthly")).to_have_text("2")
    expect(monthly).to_contain_text(female_patient.full_name)
    expect(monthly).to_contain_text(male_patient.full_name)
    assert blocking_violations(axe, page) == []
    shoot(monthly, "worklist-monthly-steps")

    monthly.get_by_role("link", name=female_patient.full_name).click()
    card = page.get_by_test_id("this-month")
    expect(card).to_contain_text(f"This month: {month.label}")
    expect(card.get_by_test_id("step-test")).to_have_attribute("data-state", "done")
    expect(card.get_by_test_id("step-confirmation")).to_have_attribute("data-state", "done")
    counselling = card.get_by_test_id("step-counselling")
    expect(counselling).to_have_attribute("data-state", "missing")
    assert blocking_violations(axe, page) == []
    shoot(card, "this-month-card-before")

    counselling.get_by_role("button", name="Confirm counselling").click()
    expect(page.get_by_role("status")).to_contain_text(f"Counselling confirmed for {month.label}.")
    expect(counselling).to_have_attribute("data-state", "done")
    expect(counselling).to_contain_text("Done")
    expect(card.get_by_role("button", name="Confirm counselling")).to_have_count(0)
    shoot(card, "this-month-card-after")
    row = CounsellingConfirmation.objects.get()
    assert (row.course.patient, row.confirmed_by, row.month) == (
        female_patient,
        prescriber,
        month.first,
    )

    # The CSV form: a month not started is refused next to the field, with no file.
    page.goto(live_server.url + reverse("staff:worklist"))
    page.get_by_label("The month's steps per patient").fill(str(month.next))
    page.get_by_role("button", name="Download CSV").click()
    expect(page.locator("#error_1_id_month")).to_contain_text("has not started yet")
    assert blocking_violations(axe, page) == []
    shoot(page.locator("main"), "monthly-steps-csv-refused")
    assert console_errors == []
