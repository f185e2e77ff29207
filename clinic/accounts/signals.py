"""Session rules: the idle limit by role and the absolute lifetime start, set at login, and the
activity stamp that IdleSessionMiddleware (clinic/accounts/middleware.py) keeps and checks.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from clinic.accounts.roles import Role, roles_of

LOGIN_AT_KEY = "clinic_login_at"
# When the session was last seen active (epoch seconds, the arrival of a request). Written at
# most once every SESSION_WRITE_SECONDS, so it lags the last request by less than that.
SEEN_AT_KEY = "clinic_seen_at"
# The idle limit of this session in seconds, chosen by role at login.
IDLE_SECONDS_KEY = "clinic_idle_seconds"


def idle_seconds(session) -> int:
    """The session's idle limit: the one chosen at login, else the session's own expiry age.

    A session that never signed in (a password reset, say) gets SESSION_COOKIE_AGE, and one
    signed in before the limit was stored keeps the expiry its login set.
    """
    stored = session.get(IDLE_SECONDS_KEY)
    return stored if stored is not None else session.get_expiry_age()


def mark_active(session, now: float, idle: int | None = None) -> None:
    """Stamp the session as active at `now`; this marks it modified, so it is saved.

    The stored expiry (the row's expire_date and the cookie's Max-Age, both counted from the
    save) is the idle limit plus one write interval: the stamp may lag the last request by up
    to that interval, and the database or the browser must never drop a session that
    IdleSessionMiddleware would still accept. The middleware, not the row, ends an idle session.
    """
    idle = idle_seconds(session) if idle is None else idle
    session[IDLE_SECONDS_KEY] = idle
    session[SEEN_AT_KEY] = now
    session.set_expiry(idle + settings.SESSION_WRITE_SECONDS)


@receiver(user_logged_in, dispatch_uid="clinic_session_rules")
def apply_session_rules(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    held = roles_of(user)
    if held and held <= {Role.PATIENT}:
        idle_minutes = settings.PATIENT_IDLE_MINUTES
    else:
        # Staff, pharmacists and admins see many patients' records: the shorter limit.
        idle_minutes = settings.STAFF_IDLE_MINUTES
    now = time.time()
    mark_active(request.session, now, idle=idle_minutes * 60)
    request.session[LOGIN_AT_KEY] = int(now)
