"""Passkeys (WebAuthn) as a second factor beside the authenticator app: django-otp-webauthn.

A passkey is a django-otp device (WebAuthnCredential), so a session verified by one is
verified as with a code: VerifiedDeviceMiddleware checks that the passkey still exists,
belongs to the user and is confirmed, on every request.

The library's views are used as they are, with three changes that keep them to the rules of
the rest of sign-in:
- only roles that sign in with a second factor may register or use a passkey (others: 404),
  and only after the password (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off);
- registering needs a session already verified by the app or a recovery code (the library
  asks this of users who have any device, which every such role has after set-up);
- a passkey sign-in gets a new session key, as a code sign-in does, and a refused passkey
  counts as a failed sign-in for django-axes, as a wrong code does.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_login_failed
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn

from clinic.accounts.views import second_factor_role_required


class PasskeySignIn(webauthn.CompleteCredentialAuthenticationView):
    """Check the passkey's answer and mark the session as verified by it."""

    def complete_auth(self, device):
        # A new session key for the fully signed-in session (see views._mark_verified).
        self.request.session.cycle_key()
        return super().complete_auth(device)

    def handle_exception(self, exc):
        user = self.request.user
        if user.is_authenticated:
            user_login_failed.send(
                sender=__name__, credentials={"username": user.get_username()}, request=self.request
            )
        return super().handle_exception(exc)


def _for_second_factor_roles(view_class):
    return second_factor_role_required(view_class.as_view())


app_name = "otp_webauthn"  # the library's templates reverse these names

urlpatterns = [
    path(
        "registration/begin/",
        _for_second_factor_roles(webauthn.BeginCredentialRegistrationView),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        _for_second_factor_roles(webauthn.CompleteCredentialRegistrationView),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        _for_second_factor_roles(webauthn.BeginCredentialAuthenticationView),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        _for_second_factor_roles(PasskeySignIn),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
