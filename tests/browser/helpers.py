"""Shared steps of the browser tests."""

from django.urls import reverse
from playwright.sync_api import Page, expect


def sign_in(page: Page, live_server, user, password, lands_on: str = "staff-worklist") -> None:
    """Sign in through the real login form and wait for the role's start page."""
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + reverse(lands_on))
