"""Session rules applied at login: idle limit by role, absolute lifetime start."""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from clinic.accounts.roles import Role, roles_of

LOGIN_AT_KEY = "clinic_login_at"


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
    # An integer expiry is counted from the last save, and every request saves the session
    # (SESSION_SAVE_EVERY_REQUEST), so this is an idle limit, enforced server-side.
    request.session.set_expiry(idle_minutes * 60)
    request.session[LOGIN_AT_KEY] = int(time.time())
