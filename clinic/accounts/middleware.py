"""Middleware for session lifetime and caching of pages that show patient data."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _

from clinic.accounts.signals import LOGIN_AT_KEY, SEEN_AT_KEY, idle_seconds, mark_active


class IdleSessionMiddleware:
    """End an idle session, and write an unchanged session at most once a write interval.

    Sessions are not saved on every request (SESSION_SAVE_EVERY_REQUEST is off). Instead the
    session carries the time it was last seen active (SEEN_AT_KEY), and this middleware
    refreshes that stamp, so the row is written, only when the stamp is
    SESSION_WRITE_SECONDS (W, 60) or more old, or when the session is saved anyway because
    its data changed (a login, the second factor, a message kept in the session): that write
    carries a fresh stamp.
    A session whose stamp is idle limit (L) + W or more old is flushed before anything reads
    the user, so the request is anonymous, as when the database row itself has expired: a page
    that needs a login redirects to sign-in.

    The guarantee, for a last admitted request at time a with the stamp s it left (a - W < s <=
    a, or a would have written a new one): the session ends at s + L + W, which lies in
    (a + L, a + L + W]. So a session idle for less than L is never ended, and one idle for
    L + 1 minute or more always is: the idle limit holds to the minute, never early, at most
    one minute late. The stored expiry (row and cookie) is L + W from each write, so neither the
    database nor the browser drops a session this check would still accept; clearsessions
    removes the row once it has passed.

    Listed right after SessionMiddleware: its check runs before the user is read (so before the
    lifetime and second-factor checks), and its response step runs after those of every
    middleware listed below it (messages included), so it sees every change to the session
    just before SessionMiddleware decides whether to save.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = time.time()
        session = request.session
        # Without a cookie there is nothing to check (and nothing is loaded from the database).
        if session.session_key is not None:
            seen_at = session.get(SEEN_AT_KEY)
            limit = idle_seconds(session) + settings.SESSION_WRITE_SECONDS
            if seen_at is not None and now - seen_at >= limit:
                session.flush()
        response = self.get_response(request)
        # An emptied session (signed out, flushed above) is deleted, not stamped.
        if not session.is_empty() and len(session.keys()) > 0:
            seen_at = session.get(SEEN_AT_KEY)
            stale = seen_at is None or now - seen_at >= settings.SESSION_WRITE_SECONDS
            if stale or session.modified:
                mark_active(session, now)
        return response


class AbsoluteSessionLifetimeMiddleware:
    """End a session a fixed number of hours after login, however active (ASVS 7.3.2).

    IdleSessionMiddleware ends an idle one; this adds the upper bound.
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
                messages.info(request, _("Your session ended. Please sign in again."))
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
