"""A prescriber's first sign-in in Chromium: set up an authenticator from the page, save the
recovery codes, go on to the worklist; the next sign-in asks for the code (issue 8)."""

import base64
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from tests.browser.helpers import enter_second_factor
from tests.second_factor import authenticator_for

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def code_from_typed_key(key: str) -> str:
    """What an authenticator app shows after someone types the page's key into it."""
    secret = base64.b32decode(key.replace(" ", ""))
    return f"{TOTP(secret).token():06d}"


def test_first_sign_in_sets_up_the_app_and_shows_the_recovery_codes(
    live_server, page: Page, console_errors, prescriber, password
):
    page.goto(live_server.url + reverse("staff:patient-list"))
    page.fill("input[name=username]", prescriber.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to add IsoCourse to your app")).to_be_visible()
    expect(page.get_by_test_id("nav-places").locator("a")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "two-factor-setup.png"), full_page=True)

    page.get_by_label("Code").fill("123")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Enter the 6 digits")

    key = page.get_by_test_id("two-factor-key").inner_text()
    page.get_by_label("Code").fill(code_from_typed_key(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("code")).to_have_count(10)
    page.screenshot(path=str(SHOTS / "two-factor-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="I have saved my codes: continue").click()
    expect(page).to_have_url(live_server.url + reverse("staff:patient-list"))

    # Signing in again asks for the code, not the set-up.
    page.get_by_role("button", name="Sign out").click()
    page.goto(live_server.url + reverse("staff:worklist"))
    page.fill("input[name=username]", prescriber.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    page.screenshot(path=str(SHOTS / "two-factor-code.png"), full_page=True)
    enter_second_factor(page, authenticator_for(prescriber))
    expect(page).to_have_url(live_server.url + reverse("staff:worklist"))
    assert console_errors == []
