"""Sign-in, lockout, sessions and passwords (OWASP ASVS 6 and 7)."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

import clinic.settings as production_settings
from tests.second_factor import mark_verified

LOGIN = "/accounts/login/"


def _login(client, username, password, ip="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _staff_login(client, user, password):
    """The password through the form, then the second factor as if the code was entered."""
    _login(client, user.username, password)
    mark_verified(client, user)


def test_a_correct_sign_in_lands_on_the_role_start_page(client, patient, password):
    response = _login(client, patient.username, password)
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("portal:home")


def test_a_correct_staff_sign_in_asks_for_the_second_factor_first(client, nurse, password):
    response = _login(client, nurse.username, password)
    assert response.status_code == 302
    assert client.get(response.url).url.startswith(reverse("accounts:two-factor-setup"))


def test_a_wrong_password_is_refused_with_a_message(client, nurse):
    response = _login(client, nurse.username, "not-the-password")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_locks_out_a_username_and_ip_after_repeated_wrong_passwords(client, nurse, password):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, nurse.username, "wrong-password-guess")
    response = _login(client, nurse.username, password)  # even the right password now
    assert response.status_code == 429
    text = response.content.decode()
    assert "too many wrong passwords" in text
    assert "15 minutes" in text
    assert "_auth_user_id" not in client.session


def test_a_lockout_from_one_address_does_not_lock_the_user_out_elsewhere(nurse, password):
    attacker, colleague = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, nurse.username, "wrong-password-guess", ip="198.51.100.9")
    response = _login(colleague, nurse.username, password, ip="203.0.113.7")
    assert response.status_code == 302


@override_settings(AXES_IPWARE_META_PRECEDENCE_ORDER=("HTTP_X_REAL_IP", "REMOTE_ADDR"))
def test_behind_the_proxy_a_lockout_counts_the_client_not_the_proxy(nurse, password):
    """Every request comes from the proxy's address; X-Real-IP names the client."""

    def through_proxy(client, pw, client_ip):
        return client.post(
            reverse("login"),
            {"username": nurse.username, "password": pw},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_REAL_IP=client_ip,
        )

    attacker, colleague = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        through_proxy(attacker, "wrong-password-guess", "198.51.100.9")
    assert through_proxy(attacker, password, "198.51.100.9").status_code == 429
    assert through_proxy(colleague, password, "203.0.113.7").status_code == 302


def test_the_right_password_works_again_after_the_cool_off(client, nurse, password):
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _login(client, nurse.username, "wrong-password-guess")
        assert _login(client, nurse.username, password).status_code == 429
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)):
        assert _login(client, nurse.username, password).status_code == 302


def test_the_session_key_changes_at_sign_in(client, nurse, password):
    before = SessionStore()
    before["probe"] = "anonymous"
    before.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = before.session_key
    _login(client, nurse.username, password)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()


def test_a_staff_session_ends_after_15_idle_minutes(client, nurse, password):
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _staff_login(client, nurse, password)
    # Activity keeps it alive: 14 minutes, then another 14.
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert client.get(reverse("staff:worklist")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=28), tick=False):
        assert client.get(reverse("staff:worklist")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=44), tick=False):
        response = client.get(reverse("staff:worklist"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@override_settings(STAFF_IDLE_MINUTES=5)
def test_the_idle_limit_is_configurable(client, nurse, password):
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _staff_login(client, nurse, password)
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        assert client.get(reverse("staff:worklist")).status_code == 302


def test_a_session_ends_after_the_absolute_lifetime_even_when_busy(client, nurse, password):
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _staff_login(client, nurse, password)
    for minutes in range(10, 12 * 60 + 20, 10):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
            response = client.get(reverse("staff:worklist"))
        if response.status_code == 302:
            break
    assert response.status_code == 302
    assert minutes >= 12 * 60


def test_sign_out_ends_the_session_on_the_server(nurse, password):
    browser = Client()
    _login(browser, nurse.username, password)
    stolen_cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    browser.post(reverse("logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen_cookie
    response = replay.get(reverse("staff:worklist"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_sign_out_is_post_only(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("staff:worklist")).status_code == 200


def test_production_hashes_passwords_with_argon2id(db):
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        user = get_user_model().objects.create_user("argon", password="a-long-passphrase-9")
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password("a-long-passphrase-9")


@pytest.mark.parametrize("common", ["qwerty123456", "1q2w3e4r5t6y"])
def test_common_passwords_are_refused(common):
    with pytest.raises(ValidationError, match="too common"):
        validate_password(common)


def test_a_64_character_password_is_accepted_and_works(client, nurse, password):
    long_password = "correct horse battery staple and a very long clinic passphrase!"
    long_password = (long_password * 2)[:64]
    assert len(long_password) == 64
    client.force_login(nurse)
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": long_password, "new_password2": long_password},
    )
    assert response.status_code == 302
    assert _login(Client(), nurse.username, long_password).status_code == 302


def test_password_forms_allow_paste_and_password_managers(client, nurse):
    client.force_login(nurse)
    for url in (reverse("password_change"),):
        html = client.get(url).content.decode()
        assert "onpaste" not in html
        assert 'autocomplete="off"' not in html
    html = Client().get(reverse("login")).content.decode()
    assert 'autocomplete="current-password"' in html
    assert "onpaste" not in html


def test_password_reset_by_email_sets_a_new_password(client, nurse):
    response = client.post(reverse("password_reset"), {"email": nurse.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new = "a-brand-new-passphrase-77"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert _login(Client(), nurse.username, new).status_code == 302
    # The link works once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_whether_an_address_has_an_account(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
