"""The rules around passkeys that the browser test does not reach: who may use the passkey
views, registering only after the second factor, a refused passkey counted as a failed sign-in,
and removing only one's own passkey. (The ceremony itself runs in tests/browser/test_passkeys.py.)
"""

from axes.models import AccessFailureLog
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from tests.factories import UserFactory
from tests.second_factor import authenticator_for, password_only_force_login

BEGIN_REGISTRATION = reverse("otp_webauthn:credential-registration-begin")
BEGIN_SIGN_IN = reverse("otp_webauthn:credential-authentication-begin")
COMPLETE_SIGN_IN = reverse("otp_webauthn:credential-authentication-complete")


def a_passkey(user, credential_id: bytes = b"credential-1") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Laptop",
        confirmed=True,
        credential_id=credential_id,
        public_key=b"not-a-real-key",
        sign_count=0,
    )


def test_a_patient_may_not_use_the_passkey_views(client, patient):
    client.force_login(patient)
    assert client.post(BEGIN_REGISTRATION).status_code == 404
    assert client.post(BEGIN_SIGN_IN).status_code == 404


def test_signed_out_the_passkey_views_send_to_sign_in_and_no_passwordless_sign_in(client):
    response = client.post(BEGIN_SIGN_IN)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_after_the_password_alone_a_passkey_cannot_be_registered(client, nurse):
    authenticator_for(nurse)
    password_only_force_login(client, nurse)
    response = client.post(BEGIN_REGISTRATION)
    # Sent to the code page: a password alone must not add a second factor.
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two-factor-verify"))
    assert "otp_webauthn_register_state" not in client.session


def test_after_the_password_the_passkey_ceremony_may_begin(client, nurse):
    authenticator_for(nurse)
    a_passkey(nurse)
    password_only_force_login(client, nurse)
    response = client.post(BEGIN_SIGN_IN)
    assert response.status_code == 200
    assert response.json()["allowCredentials"]  # the user's own passkeys are offered


def test_a_refused_passkey_counts_as_a_failed_sign_in(client, nurse):
    authenticator_for(nurse)
    password_only_force_login(client, nurse)
    response = client.post(COMPLETE_SIGN_IN, data="{}", content_type="application/json")
    assert response.status_code >= 400
    assert AccessFailureLog.objects.filter(username=nurse.username).count() == 1
    assert client.get(reverse("staff:worklist")).status_code == 302  # still the code page


def test_only_ones_own_passkey_can_be_removed(client, nurse):
    other = UserFactory(username="other.nurse")
    theirs = a_passkey(other, b"credential-2")
    mine = a_passkey(nurse)
    client.force_login(nurse)
    remove = "accounts:two-factor-passkey-remove"
    assert client.post(reverse(remove, args=[theirs.pk])).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    assert client.post(reverse(remove, args=[mine.pk])).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()
