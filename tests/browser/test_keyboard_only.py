"""The main forms done with the keyboard alone in Chromium, focus always visible (issue 8,
item 8): enrolment, visit entry, prescribing, and the portal's monthly confirmation.

Every field is reached with Tab (never a click) and set with typing, Space or the arrow keys;
the form is sent with Enter. At every stop the focused element must show a focus ring (an
outline or Bootstrap's focus shadow), so a keyboard user always sees where they are.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from clinic.portal.content import QUESTIONS
from registry.models import MonthlyConfirmation
from tests.course_fixtures import TODAY, draw_baseline_labs
from tests.portal import builders

pytestmark = pytest.mark.django_db(transaction=True)

build_course = builders.build_course  # the portal tests' course fixture
TAB_LIMIT = 120


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Date fields take digits in the order of the browser's locale: month, day, year.
    # Reduced motion: Bootstrap then shows focus rings at once, without its fade.
    return {**browser_context_args, "locale": "en-US", "reduced_motion": "reduce"}


def sign_in_as(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate(
        "s => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def shows(box_shadow: str) -> bool:
    """A box shadow a person can see: some colour that is not transparent, wider than 1 px."""
    match = re.match(r"rgba?\(\d+, \d+, \d+(?:, ([\d.]+))?\) (.*)", box_shadow)
    if not match:
        return False
    alpha = float(match.group(1) or 1)
    sizes = [float(n) for n in re.findall(r"([\d.]+)px", match.group(2))]
    return alpha >= 0.2 and max(sizes, default=0) >= 2


def assert_focus_visible(page: Page) -> None:
    """The focused element shows an outline or a focus shadow. Bootstrap fades its focus
    shadow in (a 0.15 s transition), so the style is read until it settles."""
    what = ""
    for _ in range(15):
        outline, width, shadow, what = page.evaluate(
            """() => {
                const e = document.activeElement, s = getComputedStyle(e);
                // Past a date field's last part, Chromium focuses its own calendar button
                // inside the field, with the browser's focus ring: not ours to style.
                if (e.type === "date" && !e.matches(":focus")) return ["ua", "1px", "", ""];
                return [s.outlineStyle, s.outlineWidth, s.boxShadow, e.outerHTML.slice(0, 80)];
            }"""
        )
        if (outline != "none" and width != "0px") or shows(shadow):
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"no visible focus on {what}")


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until `selector` has the focus, checking the focus ring at every stop."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if focused_matches(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def type_date(page: Page, selector: str, day) -> None:
    tab_to(page, selector)
    page.keyboard.type(day.strftime("%m%d%Y"))


def choose_radio(page: Page, name: str, value: str) -> None:
    """Tab into the group, then the arrow keys until `value` is chosen."""
    tab_to(page, f"input[type=radio][name={name}]")
    for _ in range(12):
        if focused_matches(page, f"input[type=radio][name={name}][value='{value}']"):
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no choice {value} in {name}")


def tick(page: Page, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Space")


def send(page: Page, button_name: str) -> None:
    button = page.get_by_role("button", name=button_name)
    button_id = button.evaluate("b => { b.dataset.kbTarget = '1'; return b.tagName; }")
    assert button_id
    tab_to(page, "[data-kb-target='1']")
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_a_nurse_enrols_a_patient_with_the_keyboard_alone(
    page: Page, live_server, nurse, prescriber
):
    sign_in_as(page, live_server, nurse)
    page.goto(live_server.url + reverse("staff:patient-enrol"))
    type_into(page, "#id_first_name", "Noor")
    type_into(page, "#id_last_name", "Haddad")
    type_date(page, "#id_date_of_birth", TODAY.replace(year=TODAY.year - 23))
    tab_to(page, "#id_sex")
    page.keyboard.type("Female")
    type_into(page, "#id_email", "noor.haddad@example.org")
    tab_to(page, "#id_prescriber")
    page.keyboard.type(prescriber.get_full_name() or prescriber.username)
    choose_radio(page, "risk_category", "can_get_pregnant")
    type_date(page, "#id_consent_treatment_on", TODAY)
    send(page, "Enrol patient")
    expect(page.get_by_role("heading", level=1)).to_have_text("Noor Haddad")


def test_a_nurse_records_a_visit_with_the_keyboard_alone(
    page: Page, live_server, nurse, male_patient, start_course
):
    course = start_course(male_patient)
    sign_in_as(page, live_server, nurse)
    page.goto(live_server.url + reverse("staff:visit-new", args=[male_patient.pk]))
    type_into(page, "#id_weight_kg", "70.5")
    type_into(page, "#id_nodule_count", "14")
    choose_radio(page, "phq2_interest", "0")
    choose_radio(page, "phq2_mood", "0")
    send(page, "Save visit")
    expect(page).to_have_url(live_server.url + reverse("staff:course-detail", args=[course.pk]))
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text("saved")


def test_a_prescriber_prescribes_with_the_keyboard_alone(
    page: Page, live_server, prescriber, male_patient, start_course
):
    draw_baseline_labs(male_patient, by=prescriber)
    course = start_course(male_patient)
    sign_in_as(page, live_server, prescriber)
    page.goto(live_server.url + reverse("staff:course-prescribe", args=[course.pk]))
    type_into(page, "#id_mg_per_dose", "30")
    expect(page.locator("#dose-check")).to_contain_text("mg/kg/day")
    send(page, "Prescribe")
    expect(page).to_have_url(live_server.url + reverse("staff:course-detail", args=[course.pk]))
    assert course.prescriptions.count() == 1


def test_a_patient_confirms_the_month_with_the_keyboard_alone(
    page: Page, live_server, patient, build_course
):
    alex = patient.patient
    build_course(alex, prescriptions=1, visits=1)
    MonthlyConfirmation.objects.filter(patient=alex).delete()
    sign_in_as(page, live_server, patient)
    page.goto(live_server.url + reverse("portal:confirmation"))
    for method in ("Intrauterine device", "Male condom"):
        tick(page, "#" + page.get_by_label(method).get_attribute("id"))
    for question in QUESTIONS:
        name = page.locator(f'[data-question="{question.key}"] input[type=radio]').first
        choose_radio(page, name.get_attribute("name"), question.correct)
    send(page, "Send my answers")
    expect(page.get_by_test_id("confirmation-done")).to_contain_text("Done for this month")
    assert MonthlyConfirmation.objects.get(patient=alex).passed
