"""A nurse enters a visit whose nodule count has fallen more than 70%; the flag is on the
worklist at once; the prescriber acknowledges it and ends the course early with the reason."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from dosing.models import TreatmentCourse
from tests.browser.helpers import sign_in
from tests.course_fixtures import days_ago

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_70_percent_fall_is_flagged_acknowledged_and_the_course_ends_early(
    live_server, page: Page, nurse, prescriber, password, male_patient, start_course
):
    page.set_default_timeout(10000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    course = start_course(male_patient, start_date=days_ago(70), nodules=30)

    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:visit-new", args=[male_patient.pk]))
    page.get_by_label("Weight (kg)").fill("70")
    page.get_by_label("Total inflammatory nodule count").fill("6")
    page.locator("input[name=phq2_interest][value='0']").check()
    page.locator("input[name=phq2_mood][value='0']").check()
    page.get_by_role("button", name="Save visit").click()
    expect(page.get_by_test_id("reduction")).to_contain_text("80.0% fewer")
    expect(page.locator("#nodule-chart")).to_be_visible()

    page.get_by_role("link", name="Worklist").click()
    flags = page.locator("#flags")
    expect(flags).to_contain_text("Nodule count down more than 70%")
    expect(flags).to_contain_text(male_patient.full_name)
    expect(page.get_by_test_id("count-flags")).to_have_text("1")

    sign_in(page, live_server, prescriber, password)
    page.locator("#flags").get_by_role("link", name="Acknowledge").click()
    page.get_by_label("Stop the course").check()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_label("Stopped early (nodules down 70%)")).to_be_checked()
    page.get_by_label("Reason").fill("Nodules down 80% at week 11; stopping early (R9).")
    page.get_by_role("button", name="End the course").click()

    expect(page.get_by_test_id("course-status")).to_have_text("Stopped early (nodules down 70%)")
    expect(page.locator("body")).to_contain_text("Nodules down 80% at week 11")
    course.refresh_from_db()
    assert course.status == TreatmentCourse.Status.STOPPED_EARLY
    flag = course.flags.get()
    assert (flag.acknowledged_by, flag.action) == (prescriber, "stop")
    page.goto(live_server.url + reverse("staff:worklist"))
    expect(page.get_by_test_id("count-flags")).to_have_text("0")
    assert errors == []
