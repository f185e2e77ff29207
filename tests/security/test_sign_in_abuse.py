"""Sign-in under attack, and accounts switched off (issue 8, item 4; OWASP ASVS 6.3.1, 7.4.2).

Lockout after a few wrong passwords, the idle and absolute session limits and sign-out are in
tests/clinic/test_accounts.py; these add the brute-force run and the disabled account.
"""

import datetime

import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

ATTEMPTS = 1000


def test_a_thousand_wrong_passwords_never_let_anyone_in_and_the_user_gets_in_after(
    nurse, password, figures
):
    attacker = Client()
    start = datetime.datetime.now(tz=datetime.UTC)
    answers = set()
    with time_machine.travel(start, tick=False):
        for attempt in range(ATTEMPTS):
            response = attacker.post(
                reverse("login"),
                {"username": nurse.username, "password": f"guess-{attempt:04d}"},
                REMOTE_ADDR="198.51.100.9",
            )
            answers.add(response.status_code)
            assert "_auth_user_id" not in attacker.session
        # Locked: even the right password from the attacker's address is refused for now.
        refused = attacker.post(
            reverse("login"),
            {"username": nurse.username, "password": password},
            REMOTE_ADDR="198.51.100.9",
        )
        assert refused.status_code == 429
    assert answers == {200, 429}  # wrong-password page, then the lockout page; never a 302
    figures("Brute force: wrong passwords that did not sign in", ATTEMPTS, ATTEMPTS)
    later = start + settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        user = Client()
        response = user.post(
            reverse("login"),
            {"username": nurse.username, "password": password},
            REMOTE_ADDR="198.51.100.9",
        )
        assert response.status_code == 302
        assert user.session["_auth_user_id"] == str(nurse.pk)


def test_a_disabled_account_loses_its_open_sessions_at_once(client, nurse, patient):
    portal = Client()
    client.force_login(nurse)
    portal.force_login(patient)
    assert client.get(reverse("staff:worklist")).status_code == 200
    assert portal.get(reverse("portal:home")).status_code == 200
    for user in (nurse, patient):
        user.is_active = False
        user.save(update_fields=["is_active"])
    for session, page in ((client, "staff:worklist"), (portal, "portal:home")):
        response = session.get(reverse(page))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
