"""Two-factor sign-in: who must pass a second factor, and the devices that provide it.

After the password, a prescriber or registry admin (settings.TWO_FACTOR_ROLES, and every
superuser) must enter a code from an authenticator app (django-otp TOTP) or one of their
one-time recovery codes (django-otp static tokens) before any page opens. Until then the
session is signed in but not verified, and RequireSecondFactorMiddleware sends every request
to the code page, or to the set-up page if the user has no authenticator yet.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.roles import roles_of

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"

# Pages a signed-in but unverified user may open: the two steps themselves, and signing out.
OPEN_BEFORE_SECOND_FACTOR = {"accounts:two-factor-setup", "accounts:two-factor-verify", "logout"}


def requires_second_factor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(role.value in settings.TWO_FACTOR_ROLES for role in roles_of(user))


def authenticator_of(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def pending_authenticator(user) -> TOTPDevice:
    """The not-yet-confirmed authenticator of a user setting one up.

    Kept between visits so the QR code stays the same when the set-up page is reloaded.
    """
    device = authenticator_of(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def recovery_device_of(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


@transaction.atomic
def confirm_authenticator(device: TOTPDevice) -> list[str]:
    """Make `device` the user's authenticator (replacing any other) and issue recovery codes."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with a fresh set; the old ones stop working at once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.save()  # a history row: "recovery codes replaced", by whom and when
    return codes


@transaction.atomic
def reset_second_factor(user) -> int:
    """Remove a user's authenticator and recovery codes (a lost phone); they set up anew."""
    removed = 0
    for device in [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]:
        device.delete()
        removed += 1
    return removed


def totp_of(device: TOTPDevice) -> TOTP:
    """The device's code generator, as the user's app runs it (the same key, step and drift)."""
    return TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)


def grouped_base32(key: bytes) -> str:
    """A secret in base32, in groups of four, for typing into an app without a camera."""
    from base64 import b32encode

    text = b32encode(key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalise_code(raw: str) -> str:
    """Codes as people type them: spaces and dashes dropped, letters lower-case."""
    return "".join(raw.split()).replace("-", "").lower()


def display_recovery_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


class RequireSecondFactorMiddleware:
    """Send a signed-in user who must pass a second factor, and has not, to that step."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified() or not requires_second_factor(user):
            return None
        if request.resolver_match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        step = (
            "accounts:two-factor-verify" if authenticator_of(user) else "accounts:two-factor-setup"
        )
        next_path = request.get_full_path() if request.method == "GET" else reverse("accounts:home")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(reverse(step))
        return redirect_to_login(next_path, login_url=reverse(step))
