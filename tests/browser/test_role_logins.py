"""Each role signs in through the real login form in Chromium and sees only its own places.

Runs against pytest-django's live server with the system Chromium (see tests/conftest.py).
Console errors and uncaught page errors fail the test: they include CSP violations and static
files that do not load.
"""

from urllib.parse import urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from clinic.accounts.navigation import NAV_BY_ROLE, START_PAGE_BY_ROLE
from clinic.accounts.roles import Role
from tests.browser.helpers import sign_in_from

pytestmark = pytest.mark.django_db(transaction=True)

# Persona fixture (tests/conftest.py) -> the role it holds.
ROLE_OF_PERSONA = {
    "prescriber": Role.PRESCRIBER,
    "nurse": Role.CLINICAL_STAFF,
    "registry_admin": Role.REGISTRY_ADMIN,
    "pharmacist": Role.PHARMACIST,
    "patient": Role.PATIENT,
}

MOBILE_WIDTH = 375


def _path(url: str) -> str:
    return urlparse(url).path


@pytest.mark.parametrize("persona", list(ROLE_OF_PERSONA))
def test_role_signs_in_to_own_start_page_and_nav(
    request, persona, live_server, page: Page, console_errors, password
):
    user = request.getfixturevalue(persona)
    role = ROLE_OF_PERSONA[persona]
    start_path = reverse(START_PAGE_BY_ROLE[role])

    sign_in_from(page, live_server.url, "/", user, password)

    expect(page).to_have_url(live_server.url + start_path)
    assert _path(page.url) == start_path
    expect(page.locator("h1").first).to_be_visible()

    nav = page.get_by_test_id("nav-places")
    expect(nav).to_be_visible()
    link_texts = [text.strip() for text in nav.locator("a").all_inner_texts()]
    own_labels = [item.label for item in NAV_BY_ROLE[role]]
    assert link_texts == own_labels

    other_labels = {
        item.label for other, items in NAV_BY_ROLE.items() if other != role for item in items
    } - set(own_labels)
    assert not other_labels & set(link_texts)

    expect(page.get_by_test_id("signed-in-as")).to_be_visible()
    assert console_errors == []


def test_sign_out_returns_to_login_and_ends_session(
    live_server, page: Page, console_errors, prescriber, password
):
    login_path = reverse("login")
    start_path = reverse(START_PAGE_BY_ROLE[Role.PRESCRIBER])

    sign_in_from(page, live_server.url, "/", prescriber, password)
    expect(page).to_have_url(live_server.url + start_path)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert _path(page.url) == login_path
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    page.goto(live_server.url + start_path)
    assert _path(page.url) == login_path
    expect(page.locator("input[name=username]")).to_be_visible()
    assert console_errors == []


def test_first_tab_focuses_visible_skip_link(live_server, page: Page, console_errors):
    page.goto(live_server.url + reverse("login"))
    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    assert console_errors == []


def test_mobile_login_page_has_no_horizontal_scroll(live_server, page: Page, console_errors):
    page.set_viewport_size({"width": MOBILE_WIDTH, "height": 740})
    page.goto(live_server.url + reverse("login"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= MOBILE_WIDTH
    assert console_errors == []
