"""A patient uses the portal on a 375 px phone screen in Chromium: signs in, sees today's dose and
the next visit, opens the whole schedule, makes a calendar link (and the link serves the
calendar), and answers the monthly confirmation with one wrong answer, then right (R16).

Console errors and uncaught page errors fail the test (CSP violations, missing static files);
no page may scroll sideways. Screenshots go to docs/ for the README.
"""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from clinic.portal.content import QUESTIONS
from registry.models import MonthlyConfirmation
from tests.portal import builders
from tests.portal.builders import FOLLOW_UP_IN_DAYS, TODAY

pytestmark = pytest.mark.django_db(transaction=True)

build_course = builders.build_course  # the portal tests' course fixture

# Screenshots go to test-results/; copy them to docs/ by hand when the pages change.
DOCS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 375, "height": 812}


def assert_no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def top_to(page: Page, locator) -> dict:
    """A clip from the top of the page to the bottom of `locator` (for full-page shots)."""
    bottom = locator.evaluate("el => el.getBoundingClientRect().bottom + window.scrollY")
    return {"x": 0, "y": 0, "width": PHONE["width"], "height": bottom + 16}


def answer(page: Page, question, choice_key: str) -> None:
    text = str(dict(question.choices)[choice_key])  # a lazy translation: the words, in English
    page.locator(f'[data-question="{question.key}"]').get_by_label(text, exact=True).check()


def test_a_patient_follows_the_course_on_a_phone(
    live_server, page: Page, console_errors, patient, password, build_course
):
    alex = patient.patient
    build_course(alex, prescriptions=2, visits=1)
    MonthlyConfirmation.objects.filter(patient=alex).delete()  # this month's is still to do
    page.set_viewport_size(PHONE)
    DOCS.mkdir(exist_ok=True)

    # Sign in: the patient lands on "My course".
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", patient.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My course")

    today = page.get_by_test_id("today-doses")
    expect(today).to_contain_text("Morning 30 mg")
    expect(today).to_contain_text("Evening 30 mg")
    expect(today).to_contain_text("1 × 30 mg")
    booked = TODAY + datetime.timedelta(days=FOLLOW_UP_IN_DAYS)
    expect(page.get_by_test_id("next-visit")).to_contain_text(booked.strftime("%A %-d %B"))
    expect(page.get_by_test_id("pick-up")).to_contain_text("Riverside Pharmacy")
    expect(page.get_by_test_id("confirmation-due")).to_be_visible()
    week = (TODAY - alex.courses.get().start_date).days // 7 + 1
    expect(page.get_by_test_id("portal-week")).to_have_text(f"Week {week} of 20")
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(DOCS / "portal-start.png"), full_page=True)

    # The whole schedule: 20 weeks, this week highlighted.
    page.get_by_role("link", name="Whole schedule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My schedule")
    expect(page.locator("[data-week]")).to_have_count(20)
    current = page.locator(".portal-week.is-current")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(f"Week {week}")
    expect(current).to_contain_text("This week")
    expect(page.get_by_test_id("schedule-today")).to_contain_text("30 mg")
    assert_no_sideways_scroll(page)
    page.screenshot(
        path=str(DOCS / "portal-schedule.png"), full_page=True, clip=top_to(page, current)
    )
    page.emulate_media(media="print")
    expect(page.locator("header nav")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this schedule")).to_be_hidden()
    page.emulate_media(media="screen")

    # The calendar link: made once, shown once, and it serves the calendar without a login.
    page.get_by_role("link", name="Add to my calendar").click()
    page.get_by_role("button", name="Make my calendar link").click()
    link = page.get_by_test_id("feed-url")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(live_server.url + "/calendar/")
    feed = page.context.request.get(url)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Clinic visit" in feed.text()
    assert_no_sideways_scroll(page)

    # The monthly confirmation: one wrong answer, explained, then right.
    page.goto(live_server.url + reverse("portal:confirmation"))
    page.get_by_label("Intrauterine device").check()
    page.get_by_label("Male condom").check()
    wrong = QUESTIONS[2]  # sharing the medicine
    for question in QUESTIONS:
        choice = question.correct
        if question is wrong:
            choice = next(k for k, _ in question.choices if k != question.correct)
        answer(page, question, choice)
    page.get_by_role("button", name="Send my answers").click()
    explanation = page.get_by_test_id(f"explanation-{wrong.key}")
    expect(explanation).to_be_visible()
    expect(explanation).to_contain_text("Never share it")
    expect(page.get_by_test_id("confirmation-retry")).to_contain_text("1 answer needs")
    expect(page.get_by_label("Male condom")).to_be_checked()
    assert_no_sideways_scroll(page)
    wrong_question = page.locator(f'[data-question="{wrong.key}"]')
    page.screenshot(
        path=str(DOCS / "portal-confirmation.png"),
        full_page=True,
        clip=top_to(page, wrong_question),
    )
    record = MonthlyConfirmation.objects.get(patient=alex)
    assert (record.attempts, record.passed) == (1, False)

    answer(page, wrong, wrong.correct)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_test_id("confirmation-done")).to_contain_text("Done for this month")
    record.refresh_from_db()
    assert (record.attempts, record.passed) == (2, True)

    page.goto(live_server.url + reverse("portal:home"))
    expect(page.get_by_test_id("confirmation-due")).to_have_count(0)
    assert console_errors == []
