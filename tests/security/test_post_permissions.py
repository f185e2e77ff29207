"""The POST half of the URL permission table (issue 8, item 1): every URL, every role and
anonymous, with a valid CSRF token. Whoever may not GET a page may not POST to it either:
sign-in first for anonymous, 404 for a role that may not use it. For the roles that may use
it, a POST is answered (a form with its errors, a redirect, 400 for a request the page cannot
use, or 405 for a page that takes no POST) and never with a server error or 403.
"""

import pytest

from tests.clinic.test_url_permissions import (
    ADMIN_LOGIN,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    ROLES,
    TABLE,
    assert_sent_to_sign_in,
    url_for,
)
from tests.security.pages import signed_in

CASES = [(name, role) for name in TABLE for role in ROLES]
# A form, a redirect, a request the page cannot use (400), an object that is gone, GET-only.
ANSWERED = {200, 302, 400, 404, 405}
# Webhooks that a provider signs: a POST without its signature is refused (403), for everyone.
SIGNED_WEBHOOKS = {"reminders:sms-inbound"}


@pytest.mark.parametrize(("url_name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_a_post_gets_the_answer_the_get_row_implies(client, personas, url_name, role):
    expected_get = TABLE[url_name][1][role]
    signed_in(client, personas, role)
    response = client.post(url_for(url_name, personas), {})
    if url_name in SIGNED_WEBHOOKS:
        assert response.status_code == 403
    elif expected_get in (LOGIN, ADMIN_LOGIN):
        assert_sent_to_sign_in(response, expected_get)
    elif expected_get == NOT_FOUND:
        # 405 where the page takes no POST at all (a calendar feed): refused before anything
        # is looked up, so it tells nothing either.
        assert response.status_code in (404, 405)
    elif expected_get in (OK, NOT_ALLOWED, HOME, "role-start") or expected_get.startswith("to "):
        assert response.status_code in ANSWERED, response.status_code
    else:  # pragma: no cover - a typo in the table
        pytest.fail(f"unknown expectation {expected_get}")
