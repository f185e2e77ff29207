"""Middleware for session lifetime and caching of pages that show patient data."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import add_never_cache_headers, patch_cache_control

from clinic.accounts.signals import LOGIN_AT_KEY


class AbsoluteSessionLifetimeMiddleware:
    """End a session a fixed number of hours after login, however active (ASVS 7.3.2).

    The idle limit is the session expiry itself; this adds the upper bound.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_KEY)
            limit = settings.SESSION_ABSOLUTE_HOURS * 3600
            if login_at is None or time.time() - login_at > limit:
                logout(request)
                messages.info(request, "Your session ended. Please sign in again.")
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages of this application may show patient data: no browser or proxy keeps a copy.

    Static files never reach this middleware (WhiteNoise answers them earlier), so they keep
    their long-lived caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        return response
