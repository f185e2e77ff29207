"""Two-factor sign-in for prescribers and registry admins (issue 8; HIPAA 164.312(d)).

Every test here signs in through the real login form with the password, then meets the second
step as a person would: setting up an authenticator, entering its code, or a recovery code.
"""

import datetime
import re

import pytest
import time_machine
from axes.models import AccessFailureLog
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.models import RecoveryCode
from clinic.accounts.roles import Role
from clinic.accounts.two_factor import totp_of
from tests.factories import UserFactory
from tests.second_factor import authenticator_for, current_code

ADDRESS = "192.0.2.10"


def password_step(client, user, password, address=ADDRESS):
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": password},
        REMOTE_ADDR=address,
    )
    assert response.status_code == 302, response.status_code
    return response


def enter(client, url_name, code, address=ADDRESS, **extra):
    return client.post(reverse(url_name), {"code": code, **extra}, REMOTE_ADDR=address)


def verified(client) -> bool:
    return client.get(reverse("staff:worklist")).status_code == 200


def codes_on(response) -> list[str]:
    return re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", response.content.decode())


def code_for_key(device) -> str:
    """The code an app shows now for `device`, used or not (current_code waits for a new one)."""
    return f"{totp_of(device).token():06d}"


# Who must: prescribers, registry admins, superusers; everyone else signs in with a password.


@pytest.mark.parametrize("persona", ["prescriber", "nurse", "pharmacist", "registry_admin"])
def test_a_role_that_must_is_sent_to_set_up_before_any_page_opens(
    client, personas, password, persona
):
    password_step(client, personas[persona], password)
    for path in ("/", reverse("staff:worklist"), reverse("admin:index")):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:two-factor-setup") + "?next=")


@pytest.mark.parametrize("persona", ["patient"])
def test_other_roles_sign_in_with_the_password_alone(client, personas, password, persona):
    from clinic.accounts.navigation import START_PAGE_BY_ROLE
    from clinic.accounts.roles import primary_role

    user = personas[persona]
    password_step(client, user, password)
    start = reverse(START_PAGE_BY_ROLE[primary_role(user)])
    assert client.get(start).status_code == 200
    assert client.get(reverse("accounts:two-factor-setup")).status_code == 404
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_superuser_must_too(client, db, password):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    password_step(client, admin, password)
    assert client.get(reverse("admin:index")).url.startswith(reverse("accounts:two-factor-setup"))


# Setting up.


def test_set_up_shows_a_qr_code_and_the_key_and_a_right_code_turns_it_on(
    client, prescriber, password
):
    password_step(client, prescriber, password)
    page = client.get(reverse("accounts:two-factor-setup"))
    html = page.content.decode()
    assert "<svg" in html
    assert "QR code" in html
    device = TOTPDevice.objects.get(user=prescriber, confirmed=False)
    key = page.context["key"].replace(" ", "")
    assert len(key) == 32  # 160 bits in base32

    done = enter(
        client,
        "accounts:two-factor-setup",
        code_for_key(device),
        next=reverse("staff:patient-list"),
    )
    assert done.status_code == 200
    codes = codes_on(done)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert reverse("staff:patient-list") in done.content.decode()  # "continue" goes where they were
    device.refresh_from_db()
    assert device.confirmed
    assert RecoveryCode.objects.filter(device__user=prescriber).count() == 10
    assert verified(client)


def test_a_wrong_code_at_set_up_is_explained_and_turns_nothing_on(client, prescriber, password):
    password_step(client, prescriber, password)
    client.get(reverse("accounts:two-factor-setup"))
    device = TOTPDevice.objects.get(user=prescriber)
    wrong = f"{(int(code_for_key(device)) + 1) % 1_000_000:06d}"
    for code, message in ((wrong, "does not match"), ("12ab", "Enter the 6 digits")):
        response = enter(client, "accounts:two-factor-setup", code)
        assert response.status_code == 200
        assert message in response.context["form"].errors["code"][0]
    device.refresh_from_db()
    assert not device.confirmed
    assert not RecoveryCode.objects.filter(device__user=prescriber).exists()
    assert not verified(client)


def test_the_set_up_page_keeps_one_key_when_reloaded(client, prescriber, password):
    password_step(client, prescriber, password)
    first = client.get(reverse("accounts:two-factor-setup")).context["key"]
    assert client.get(reverse("accounts:two-factor-setup")).context["key"] == first
    assert TOTPDevice.objects.filter(user=prescriber).count() == 1


# Signing in with the code.


def test_with_an_authenticator_the_code_page_asks_and_the_right_code_goes_on(
    client, prescriber, password
):
    device = authenticator_for(prescriber)
    password_step(client, prescriber, password)
    asked = client.get(reverse("staff:patient-list"))
    assert asked.url == reverse("accounts:two-factor-verify") + "?next=" + reverse(
        "staff:patient-list"
    )
    response = enter(
        client,
        "accounts:two-factor-verify",
        current_code(device),
        next=reverse("staff:patient-list"),
    )
    assert response.status_code == 302
    assert response.url == reverse("staff:patient-list")
    assert verified(client)


def test_the_session_key_changes_when_the_second_factor_passes(client, prescriber, password):
    device = authenticator_for(prescriber)
    password_step(client, prescriber, password)
    before = client.session.session_key
    enter(client, "accounts:two-factor-verify", current_code(device))
    assert client.session.session_key != before
    assert verified(client)


def test_a_code_works_once(client, prescriber, password):
    device = authenticator_for(prescriber)
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC), tick=False):
        code = current_code(device)
        password_step(client, prescriber, password)
        assert enter(client, "accounts:two-factor-verify", code).status_code == 302
        thief = Client()
        password_step(thief, prescriber, password, address="198.51.100.3")
        replay = enter(thief, "accounts:two-factor-verify", code, address="198.51.100.3")
        assert replay.status_code == 200
        assert not verified(thief)


def test_a_wrong_code_is_a_failed_sign_in_logged_and_counted(client, prescriber, password):
    device = authenticator_for(prescriber)
    password_step(client, prescriber, password)
    wrong = f"{(int(current_code(device)) + 5) % 1_000_000:06d}"
    response = enter(client, "accounts:two-factor-verify", wrong)
    assert response.status_code == 200
    assert "does not match" in response.context["form"].errors["code"][0]
    failure = AccessFailureLog.objects.get(username=prescriber.username)
    assert failure.ip_address == ADDRESS
    assert not verified(client)


def test_right_after_a_wrong_code_the_device_makes_one_wait(client, prescriber, password):
    device = authenticator_for(prescriber)
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC), tick=False):
        right = current_code(device)
        password_step(client, prescriber, password)
        enter(client, "accounts:two-factor-verify", f"{(int(right) + 7) % 1_000_000:06d}")
        response = enter(client, "accounts:two-factor-verify", right)
    assert "Too many wrong codes" in response.context["form"].errors["code"][0]
    assert not verified(client)


def test_a_thousand_wrong_codes_never_pass_and_the_user_still_gets_in_after(
    client, prescriber, password, figures
):
    """Even with the password: django-otp's doubling wait and axes' lockout hold."""
    attempts = 1000
    device = authenticator_for(prescriber)
    attacker = Client()
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        right = {code_for_key(device)}
        totp = totp_of(device)
        for step in (-1, 1):  # the codes the tolerance window would also take
            totp.time = start.timestamp() + step * device.step
            right.add(f"{totp.token():06d}")
        guesses = (f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in right)
        passed = 0
        for _ in range(attempts):
            if "_auth_user_id" not in attacker.session:
                attacker.post(
                    reverse("login"),
                    {"username": prescriber.username, "password": password},
                    REMOTE_ADDR="198.51.100.9",
                )
            if "_auth_user_id" in attacker.session:
                enter(attacker, "accounts:two-factor-verify", next(guesses), address="198.51.100.9")
                passed += int(verified(attacker))
        assert passed == 0
        assert AccessFailureLog.objects.filter(username=prescriber.username).exists()
    figures("Brute force: wrong second-factor codes that did not pass", attempts - passed, attempts)
    # Later, from the prescriber's own computer, the right code works.
    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        password_step(client, prescriber, password)
        assert enter(client, "accounts:two-factor-verify", current_code(device)).status_code == 302
        assert verified(client)


def test_repeated_wrong_codes_end_the_session_and_lock_the_address(client, prescriber, password):
    from django.conf import settings

    device = authenticator_for(prescriber)
    password_step(client, prescriber, password)
    wrong = f"{(int(current_code(device)) + 11) % 1_000_000:06d}"
    last = None
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = enter(client, "accounts:two-factor-verify", wrong)
    assert last.status_code == 429
    assert "_auth_user_id" not in client.session
    locked = client.post(
        reverse("login"),
        {"username": prescriber.username, "password": password},
        REMOTE_ADDR=ADDRESS,
    )
    assert locked.status_code == 429


def test_the_next_address_must_be_on_this_site(client, prescriber, password):
    device = authenticator_for(prescriber)
    password_step(client, prescriber, password)
    response = enter(
        client, "accounts:two-factor-verify", current_code(device), next="https://evil.example/"
    )
    assert response.url == "/"


def test_htmx_requests_are_sent_to_the_code_page_as_a_whole_page(client, prescriber, password):
    authenticator_for(prescriber)
    password_step(client, prescriber, password)
    response = client.get(reverse("staff:worklist"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("accounts:two-factor-verify")


def test_before_the_second_step_the_navigation_shows_no_places(client, prescriber, password):
    authenticator_for(prescriber)
    password_step(client, prescriber, password)
    html = client.get(reverse("accounts:two-factor-verify")).content.decode()
    assert reverse("staff:patient-list") not in html
    assert "Sign out" in html


# Recovery codes.


def first_codes(client, user, password) -> list[str]:
    password_step(client, user, password)
    client.get(reverse("accounts:two-factor-setup"))
    device = TOTPDevice.objects.get(user=user)
    return codes_on(enter(client, "accounts:two-factor-setup", code_for_key(device)))


def test_a_recovery_code_signs_in_once(db, password):
    admin = UserFactory(username="reg.two", roles=[Role.REGISTRY_ADMIN], is_staff=True)
    codes = first_codes(Client(), admin, password)

    phone_lost = Client()
    password_step(phone_lost, admin, password)
    response = enter(phone_lost, "accounts:two-factor-verify", codes[0].upper().replace("-", " "))
    assert response.status_code == 302
    assert phone_lost.get(reverse("staff:registry-admin-home")).status_code == 200
    assert RecoveryCode.objects.filter(device__user=admin).count() == 9

    again = Client()
    password_step(again, admin, password)
    reused = enter(again, "accounts:two-factor-verify", codes[0])
    assert "used already" in reused.context["form"].errors["code"][0]


def test_new_recovery_codes_replace_the_old_ones(client, prescriber, password):
    old = first_codes(client, prescriber, password)
    assert client.get(reverse("accounts:two-factor-manage")).context["codes_left"] == 10
    new = codes_on(client.post(reverse("accounts:two-factor-recovery-codes")))
    assert len(new) == 10
    assert not set(new) & set(old)

    other = Client()
    password_step(other, prescriber, password)
    assert enter(other, "accounts:two-factor-verify", old[1]).status_code == 200
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=5)
    with time_machine.travel(later):  # past the wait django-otp sets after the wrong one
        other_again = Client()
        password_step(other_again, prescriber, password, address="192.0.2.11")
        response = enter(other_again, "accounts:two-factor-verify", new[1], address="192.0.2.11")
        assert response.status_code == 302


# A lost phone: a registry admin resets it; the trail keeps who did what, never the secret.


def test_a_registry_admin_resets_a_lost_phone_and_the_history_says_who(
    client, prescriber, registry_admin, password
):
    first_codes(Client(), prescriber, password)
    client.force_login(registry_admin)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [prescriber.pk]},
        follow=True,
    )
    assert "Two-factor sign-in reset for dr.okafor" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=prescriber).exists()
    assert not RecoveryCode.objects.filter(device__user=prescriber).exists()

    trail = TOTPDevice.history.model.objects.filter(user=prescriber).order_by("history_id")
    kinds = [row.history_type for row in trail]
    assert kinds[0] == "+"
    assert kinds[-1] == "-"
    assert "~" in kinds
    assert trail.last().history_user == registry_admin
    assert not hasattr(trail.first(), "key")

    again = Client()
    password_step(again, prescriber, password)
    assert again.get("/").url.startswith(reverse("accounts:two-factor-setup"))


def test_only_registry_admins_may_reset(client, nurse, prescriber):
    assert not User.objects.get(pk=nurse.pk).has_perm("auth.change_user")
    authenticator_for(prescriber)
    client.force_login(nurse)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [prescriber.pk]},
    )
    assert response.status_code == 302  # the admin sends a non-staff user to sign in
    assert TOTPDevice.objects.filter(user=prescriber).exists()


def test_the_account_page_warns_when_no_recovery_code_is_left(client, prescriber):
    client.force_login(prescriber)  # an authenticator, and no recovery codes yet
    page = client.get(reverse("accounts:two-factor-manage")).content.decode()
    assert "You have no recovery codes" in page
