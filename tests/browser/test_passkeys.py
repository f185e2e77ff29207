"""Passkeys in Chromium, for every staff role: after signing in with the app's code, a user adds
a passkey on the two-factor page; at the next sign-in the passkey replaces the code.

The passkey is Chromium's own virtual authenticator (the DevTools WebAuthn domain: a platform
authenticator that signs with a real key and answers user verification), so the whole ceremony
runs for real: the browser's navigator.credentials, django-otp-webauthn's script and views, and
py_webauthn's checks of the origin, relying party and signature. Browsers refuse passkeys for
an IP address, so the live server is reached as "localhost" (pytest-django's default host).
"""

from pathlib import Path

import pytest
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Page, expect

from clinic.accounts.navigation import START_PAGE_BY_ROLE
from clinic.accounts.roles import primary_role
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_PERSONAS = ["prescriber", "nurse", "pharmacist", "registry_admin"]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def passkey_site(settings, live_server):
    assert live_server.url.startswith("http://localhost:")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    return live_server


def add_virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def add_a_passkey(page: Page, site) -> None:
    """On the two-factor page of a verified session: add a passkey and see it listed."""
    page.goto(site.url + reverse("accounts:two-factor-manage"))
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_test_id("passkeys").locator("li")).to_have_count(1)


def password_step(page: Page, site, user, password) -> None:
    """A new sign-in, up to the second-factor page."""
    page.context.clear_cookies()
    page.goto(site.url + reverse("login"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_a_staff_member_adds_a_passkey_and_signs_in_with_it_instead_of_a_code(
    request, persona, passkey_site, page: Page, console_errors, password
):
    user = request.getfixturevalue(persona)
    start = reverse(START_PAGE_BY_ROLE[primary_role(user)])
    add_virtual_authenticator(page)
    sign_in(page, passkey_site, user, password, lands_on=START_PAGE_BY_ROLE[primary_role(user)])

    add_a_passkey(page, passkey_site)
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1

    # The next sign-in: the password, then the passkey instead of the code.
    password_step(page, passkey_site, user, password)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"passkey-sign-in-{persona}.png"), full_page=True)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(passkey_site.url + start)
    assert WebAuthnCredential.objects.get(user=user).last_used_at is not None
    assert console_errors == []


def test_a_removed_passkey_no_longer_signs_in(passkey_site, page: Page, nurse, password):
    add_virtual_authenticator(page)
    sign_in(page, passkey_site, nurse, password)
    add_a_passkey(page, passkey_site)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "passkeys-manage.png"), full_page=True)
    page.get_by_test_id("passkeys").get_by_role("button", name="Remove").click()
    expect(page.get_by_text("was removed")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=nurse).exists()

    password_step(page, passkey_site, nurse, password)
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)
