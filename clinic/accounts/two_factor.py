"""Two-factor sign-in: who must pass a second factor, and the devices that provide it.

After the password, every staff member (settings.TWO_FACTOR_ROLES: prescribers, clinical staff,
pharmacists and registry admins; and every superuser) must enter a code from an authenticator
app (django-otp TOTP), use one of their passkeys (django-otp-webauthn, clinic.accounts.passkeys)
or one of their one-time recovery codes (stored hashed: clinic.accounts.models) before any page
opens. Until then the
session is signed in but not verified, and RequireSecondFactorMiddleware sends every request
to the code page, or to the set-up page if the user has no authenticator yet.

Whether a session is verified: VerifiedDeviceMiddleware, django-otp's OTPMiddleware without its
device query. The session keeps the id of the device that verified it (django-otp's
"otp_device_id"); every request checks that this device still exists, belongs to the user and
is confirmed, inside the query that reads the user's roles, which every page makes anyway.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from clinic.accounts.models import (
    RecoveryCode,
    RecoveryCodeDevice,
    hash_recovery_code,
    random_recovery_code,
)
from clinic.accounts.roles import group_names_sql, remember_roles, roles_of

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"

# Pages a signed-in but unverified user may open: the two steps themselves, signing in with a
# passkey (the passkey is that second factor), and signing out.
OPEN_BEFORE_SECOND_FACTOR = {
    "accounts:two-factor-setup",
    "accounts:two-factor-verify",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
    "logout",
}


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


def recovery_device_of(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user).first()


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def passkeys_of(user) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"))


@transaction.atomic
def confirm_authenticator(device: TOTPDevice) -> list[str]:
    """Make `device` the user's authenticator (replacing any other) and issue recovery codes."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save()
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with a fresh set; the old ones stop working at once.

    The codes are returned to be shown once; only their hashes are stored."""
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_NAME, "confirmed": True}
    )
    device.codes.all().delete()
    codes = [random_recovery_code() for _ in range(settings.RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=hash_recovery_code(code)) for code in codes
    )
    device.save()  # a history row: "recovery codes replaced", by whom and when
    return codes


@transaction.atomic
def reset_second_factor(user) -> int:
    """Remove a user's authenticator, passkeys and recovery codes (a lost phone or key); they
    set up anew."""
    removed = 0
    devices = [
        *TOTPDevice.objects.filter(user=user),
        *RecoveryCodeDevice.objects.filter(user=user),
        *WebAuthnCredential.objects.filter(user=user),
    ]
    for device in devices:
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
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


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


class VerifiedDeviceMiddleware(OTPMiddleware):
    """request.user.is_verified() as django-otp's OTPMiddleware answers it, without its query.

    django-otp loads the device named in the session (otp_device_id) on every request and
    treats the session as verified while that device exists, belongs to the user and is
    confirmed; otherwise it drops the id from the session. This asks the same three things
    with an EXISTS folded into the query that reads the user's roles (which every page makes
    anyway, for the navigation and the permission checks), so a verified session costs no query
    of its own. The device row itself (user.otp_device) is loaded only if something uses it.

    Nothing is cached across requests, so nothing can go stale: a device deleted or reset (a
    registry admin's "Reset two-factor sign-in", the admin site's device pages, a new
    authenticator replacing the old one, the user deleted) or unconfirmed ends the
    verification of every session it verified, in every process, on that session's next
    request, as with django-otp's own middleware.

    The asynchronous path (request.auser()) is django-otp's own, with its device query.
    """

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        if not user.is_authenticated:
            return user
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if not persistent_id:
            return user
        device_model, device_pk = device_key(self._normalize_persistent_id(persistent_id))
        if device_model is not None and device_still_verifies(user, device_model, device_pk):
            user.otp_device = SimpleLazyObject(
                lambda: device_model.objects.filter(pk=device_pk).first()
            )
        else:
            del request.session[DEVICE_ID_SESSION_KEY]
        return user


def device_key(persistent_id: str) -> tuple[type[Device] | None, int | None]:
    """The device model and primary key a persistent id names (no query); (None, None) for
    an id that names no device model."""
    try:
        label, pk = persistent_id.rsplit("/", 1)
        model = apps.get_model(label)
        pk = int(pk)
    except (ValueError, LookupError):
        return None, None
    return (model, pk) if issubclass(model, Device) else (None, None)


def device_still_verifies(user, device_model: type[Device], device_pk: int) -> bool:
    """Whether the device still exists, belongs to `user` and is confirmed; the user's roles
    are read in the same query and cached for the request (roles.remember_roles)."""
    with connections[user._state.db or DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(_roles_and_device_sql(device_model), [user.pk, device_pk, user.pk, True])
        names = [name for (name,) in cursor.fetchall()]
    # Group names are never NULL: the NULL row is the device's.
    remember_roles(user, [name for name in names if name is not None])
    return None in names


_DEVICE_ROW = (
    "SELECT NULL FROM {device} d WHERE d.{id} = %s AND d.{user_id} = %s AND d.{confirmed} = %s"
)


@cache
def _roles_and_device_sql(device_model: type[Device]) -> str:
    """The user's group names, and one NULL row if the device verifies (user id, device id,
    user id, True)."""
    meta = device_model._meta
    quote = connection.ops.quote_name
    names = {
        "device": quote(meta.db_table),
        "id": quote(meta.pk.column),
        "user_id": quote(meta.get_field("user").column),
        "confirmed": quote(meta.get_field("confirmed").column),
    }
    device_row = _DEVICE_ROW.format(**names)  # noqa: S608  (names from the model, quoted)
    return f"{group_names_sql()} UNION ALL {device_row}"
