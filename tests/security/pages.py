"""Every page of the URL permission table, with the first role that may open it (issue 8)."""

from __future__ import annotations

from tests.clinic.test_url_permissions import NOT_ALLOWED, OK, ROLES, TABLE


def pages_answering(answer: str) -> list[tuple[str, str]]:
    """(url name, role) for every URL, with the first role the table gives `answer`."""
    found = []
    for name, (_, by_role) in TABLE.items():
        role = next((r for r in ROLES if by_role[r] == answer), None)
        if role is not None:
            found.append((name, role))
    return found


OK_PAGES = pages_answering(OK)
# Pages a role may use whose GET is refused (405) take POST only; the others that answer 200
# to GET may take a POST too (forms). Both lists are checked for CSRF.
POST_ONLY = pages_answering(NOT_ALLOWED)


def signed_in(client, personas, role):
    if role != "anonymous":
        client.force_login(personas[role])
    return client


# The second step of signing in only shows to a session past the password alone, so the page
# walks above (verified sessions) never see it: these are checked as well, empty and with a
# wrong code. (url name, role, whether the user has an authenticator already)
SECOND_FACTOR_STEPS = [
    ("accounts:two-factor-setup", "prescriber", False),
    ("accounts:two-factor-verify", "registry_admin", True),
]
WRONG_CODE = {"code": "000000"}


def at_second_factor_step(client, personas, role, has_authenticator):
    """`client` signed in with the password only, as between the two steps of signing in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.second_factor import authenticator_for, password_only_force_login

    user = personas[role]
    if has_authenticator:
        authenticator_for(user)
    else:
        TOTPDevice.objects.filter(user=user).delete()
    password_only_force_login(client, user)
    return client
