"""Shared steps of the browser tests."""

import re

from django.urls import reverse
from playwright.sync_api import Page, expect

from clinic.accounts.two_factor import requires_second_factor
from tests.second_factor import authenticator_for, current_code


def sign_in(page: Page, live_server, user, password, lands_on: str = "staff:worklist") -> None:
    """Sign in through the real login form and wait for the role's start page."""
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("login"))
    enter_credentials(page, user, password)
    expect(page).to_have_url(live_server.url + reverse(lands_on))


def sign_in_from(page: Page, base_url: str, start_path: str, user, password) -> None:
    """Open `start_path` signed out, be sent to the login page, and sign in from there."""
    page.goto(base_url + start_path)
    expect(page).to_have_url(re.compile(re.escape(base_url + reverse("login")) + r"\?next="))
    enter_credentials(page, user, password)
    page.wait_for_load_state()


def enter_credentials(page: Page, user, password) -> None:
    """On the login page: the password, then, for a role that needs it, the app's code.

    The user's authenticator is made here if the test has none yet, before the password, so
    the application asks for a code rather than for setting one up.
    """
    device = authenticator_for(user) if requires_second_factor(user) else None
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        enter_second_factor(page, device)


def enter_second_factor(page: Page, device) -> None:
    """On the code page after the password: type what the user's authenticator shows."""
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
