"""Signing in: the role-based home redirect, and the second step: set up an authenticator,
enter a code (or use a passkey: clinic.accounts.passkeys), manage recovery codes and passkeys.

A wrong code counts as a failed sign-in: it is sent as Django's user_login_failed signal, so
django-axes logs it (AccessFailureLog: username, address, time) and pauses the username and
address after AXES_FAILURE_LIMIT failures, as for wrong passwords. django-otp's own throttle
doubles the wait after each wrong code on the device, wherever the tries come from.
"""

from __future__ import annotations

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp_webauthn.models import WebAuthnCredential

from clinic.accounts.forms import SecondFactorCodeForm
from clinic.accounts.navigation import START_PAGE_BY_ROLE
from clinic.accounts.redirects import safe_next
from clinic.accounts.roles import primary_role, user_required
from clinic.accounts.two_factor import (
    authenticator_of,
    confirm_authenticator,
    display_recovery_code,
    grouped_base32,
    new_recovery_codes,
    passkeys_of,
    pending_authenticator,
    recovery_codes_left,
    recovery_device_of,
    requires_second_factor,
)


@login_required
def home(request):
    """Send each role to its own start page."""
    role = primary_role(request.user)
    if role is None:
        return render(request, "accounts/no_role.html", status=403)
    return redirect(START_PAGE_BY_ROLE[role])


# Anonymous users go to sign-in; roles that sign in without a second factor get 404.
second_factor_role_required = user_required(requires_second_factor)


def _check_code(request, form, device) -> bool:
    """Verify the form's code on `device`; add the reason to the form when it is refused."""
    allowed, detail = device.verify_is_allowed()
    if allowed and django_otp.verify_token(
        request.user, device.persistent_id, form.cleaned_data["code"]
    ):
        return True
    # A try during the wait counts too: hammering the page is itself an attack to log.
    user_login_failed.send(
        sender=__name__, credentials={"username": request.user.get_username()}, request=request
    )
    if not allowed:
        until = detail.get("locked_until") if detail else None
        if until:
            refusal = _(
                "Too many wrong codes in a row. Wait until %(time)s, then enter the code shown "
                "then."
            ) % {"time": time_format(localtime(until), "H:i:s")}
        else:
            refusal = _("Too many wrong codes in a row. Wait, then enter the code shown then.")
        form.add_error("code", refusal)
    elif form.is_recovery_code:
        form.add_error("code", _("That recovery code is not one of yours, or it was used already."))
    else:
        form.add_error(
            "code",
            _(
                "That code does not match. Enter the code your app shows now; if it keeps "
                "failing, check that the phone's clock is set automatically."
            ),
        )
    if _locked_out(request):
        logout(request)
        request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
    return False


def _mark_verified(request, device) -> None:
    # A new session key for the fully signed-in session, as at the password step: a key seen
    # before the second factor (on a shared computer, in a log) is worth nothing after it.
    request.session.cycle_key()
    django_otp.login(request, device)


def _locked_out(request) -> bool:
    credentials = {"username": request.user.get_username()}
    return getattr(request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(
        request, credentials
    )


@second_factor_role_required
def setup(request):
    """Add IsoCourse to an authenticator app: scan the QR code (or type the key), enter a code."""
    user = request.user
    if authenticator_of(user):
        return redirect(
            "accounts:two-factor-manage" if user.is_verified() else "accounts:two-factor-verify"
        )
    device = pending_authenticator(user)
    form = SecondFactorCodeForm(request.POST or None, accept_recovery_code=False)
    if request.method == "POST" and form.is_valid() and _check_code(request, form, device):
        codes = confirm_authenticator(device)
        _mark_verified(request, device)
        return _show_recovery_codes(request, codes, first_time=True)
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr.svg_inline(scale=5, title=_("QR code to add IsoCourse to your app")),
            "key": grouped_base32(device.bin_key),
            "next": safe_next(request),
        },
    )


@second_factor_role_required
def verify(request):
    """Enter the code from the authenticator app, or a recovery code, to finish signing in."""
    user = request.user
    if user.is_verified():
        return redirect(safe_next(request))
    authenticator = authenticator_of(user)
    if authenticator is None:
        return redirect("accounts:two-factor-setup")
    form = SecondFactorCodeForm(request.POST or None, accept_recovery_code=True)
    if request.method == "POST" and form.is_valid():
        device = recovery_device_of(user) if form.is_recovery_code else authenticator
        if device is not None and _check_code(request, form, device):
            _mark_verified(request, device)
            if form.is_recovery_code:
                left = recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code; %(left)d is left. If your phone is "
                        "lost, ask a registry admin to reset your two-factor sign-in.",
                        "You signed in with a recovery code; %(left)d are left. If your phone is "
                        "lost, ask a registry admin to reset your two-factor sign-in.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(safe_next(request))
        if device is None:
            form.add_error("code", _("You have no recovery codes. Ask a registry admin for help."))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": safe_next(request), "has_passkey": bool(passkeys_of(user))},
    )


@second_factor_role_required
def manage(request):
    """What protects this account: the authenticator, passkeys, and how many recovery codes
    are left."""
    user = request.user
    return render(
        request,
        "registration/two_factor_manage.html",
        {
            "authenticator": authenticator_of(user),
            "passkeys": passkeys_of(user),
            "codes_left": recovery_codes_left(user),
        },
    )


@second_factor_role_required
@require_POST
def remove_passkey(request, pk: int):
    """Remove one of the user's own passkeys (another user's answers 404)."""
    passkey = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    passkey.delete()
    messages.success(request, _("The passkey “%(name)s” was removed.") % {"name": passkey.name})
    return redirect("accounts:two-factor-manage")


@second_factor_role_required
@require_POST
def replace_recovery_codes(request):
    """A fresh set of recovery codes; the old ones stop working."""
    user = request.user
    return _show_recovery_codes(request, new_recovery_codes(user), first_time=False)


def _show_recovery_codes(request, codes, *, first_time: bool):
    # Shown once, in the answer to the POST that made them (never stored in the session);
    # NoStoreMiddleware keeps the page out of every cache.
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {
            "codes": [display_recovery_code(code) for code in codes],
            "first_time": first_time,
            "next": safe_next(request),
        },
    )
