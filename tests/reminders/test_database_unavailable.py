"""While the database cannot be reached, every page answers 503 "try again shortly" (with
Retry-After), not 500; any other error is still a 500 (clinic.reminders.views.server_error).

The failure is injected where a real outage first shows: loading the session, inside the
middleware, before any view runs (tests/reliability/test_several_hosts.py cuts a real
gunicorn host off from PostgreSQL)."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

LOAD = "django.contrib.sessions.backends.db.SessionStore.load"


def _client_with_a_session() -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32
    return client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server at 10.0.0.6 port 5432 failed: timeout expired"),
        InterfaceError("connection already closed"),
    ],
)
@pytest.mark.parametrize("path", ["/staff/", "/patients/", "/my/", "/accounts/login/"])
def test_a_database_that_cannot_be_reached_answers_503_try_again_shortly(error, path):
    with mock.patch(LOAD, side_effect=error):
        response = _client_with_a_session().get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert b"try again in a moment" in response.content
    assert b'data-testid="database-unavailable"' in response.content


def test_any_other_error_is_still_a_500():
    with mock.patch(LOAD, side_effect=RuntimeError("a bug")):
        response = _client_with_a_session().get("/staff/")
    assert response.status_code == 500
    assert b"try again in a moment" not in response.content
