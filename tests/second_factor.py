"""The second factor in tests: what force_login does for roles that sign in with a code.

`Client.force_login` skips the password; for prescribers and registry admins it must skip the
second factor the same way, or every page they open would be the code page. install() wraps it
so such a user gets a confirmed authenticator (once) and a session marked as verified by it.
The sign-in flow itself (password, then code) is tested through the real pages in
tests/security/test_two_factor.py, which signs in with `password_only_force_login`.
"""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.two_factor import AUTHENTICATOR_NAME, requires_second_factor, totp_of

password_only_force_login = Client.force_login


def authenticator_for(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": AUTHENTICATOR_NAME}
    )
    return device


def current_code(device: TOTPDevice) -> str:
    """The code the user's app would show now, as a phone would compute it.

    A code is accepted once (django-otp remembers the last time step used), so if this step's
    code was used already, wait for the next step, as a person would.
    """
    device.refresh_from_db()
    totp = totp_of(device)
    while totp.t() <= device.last_t:
        time.sleep(0.5)
        totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def _force_login_past_second_factor(self, user, backend=None):
    password_only_force_login(self, user, backend)
    if requires_second_factor(user):
        mark_verified(self, user)


def mark_verified(client: Client, user) -> None:
    """A session signed in with the password alone (through the login form), now past the
    second factor as if the user had entered their code."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()


def install() -> None:
    Client.force_login = _force_login_past_second_factor
