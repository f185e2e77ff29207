"""The session is written at most once a minute, and the idle logoff still holds to the minute.

IdleSessionMiddleware (clinic/accounts/middleware.py) keeps the time a session was last seen
active in the session itself and refreshes it, writing the row, only once it is a minute old or
when the session changed anyway. It ends a session whose stamp is the idle limit + 1 minute
old, so a session idle for less than its limit stays and one idle for a minute more ends.
Every test here stops the clock (time_machine, tick=False) and moves it by hand.
"""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.accounts.signals import IDLE_SECONDS_KEY, SEEN_AT_KEY
from clinic.reminders.models import Reminder
from tests.second_factor import authenticator_for, current_code, password_only_force_login

LOGIN = reverse("login")
WRITE = re.compile(r'^\s*(UPDATE|INSERT INTO) "django_session"', re.IGNORECASE)
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)

# (persona, a page that needs its login, idle limit in minutes)
ROLES = [("nurse", "staff:worklist", 15), ("patient", "portal:home", 30)]


@pytest.fixture
def clock():
    start = datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def session_row(client) -> Session | None:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.filter(session_key=key).first()


def get_counting_writes(client, url, **extra):
    """The response, and the statements that wrote django_session while answering."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])]


def signed_out(response) -> bool:
    return response.status_code == 302 and response.url.startswith(LOGIN)


# At most one write a minute -----------------------------------------------------------------


def now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def test_requests_within_the_minute_do_not_write_the_session(client, clock, nurse):
    start = now()
    client.force_login(nurse)
    row = session_row(client)
    assert row.expire_date == start + 16 * MINUTE  # the limit, and one write interval
    for seconds in (0, 10, 20, 30, 40, 50, 55, 57, 58, 59):
        clock.move_to(start + seconds * SECOND)
        response, writes = get_counting_writes(client, reverse("staff:worklist"))
        assert response.status_code == 200
        assert writes == [], seconds
    after = session_row(client)
    assert (after.session_data, after.expire_date) == (row.session_data, row.expire_date)


def test_ten_page_loads_in_a_minute_write_the_session_once(client, clock, nurse):
    client.force_login(nurse)
    clock.shift(5 * MINUTE)  # the login's stamp is old: the first load writes, then none
    total = []
    for _ in range(10):
        response, writes = get_counting_writes(client, reverse("staff:worklist"))
        assert response.status_code == 200
        total += writes
        clock.shift(5 * SECOND)
    assert len(total) == 1
    assert total[0].lstrip().upper().startswith("UPDATE")


def test_the_first_request_after_a_minute_writes_once_with_the_expiry_moved_on(
    client, clock, nurse
):
    start = now()
    client.force_login(nurse)
    written = session_row(client)
    clock.shift(61 * SECOND)
    response, writes = get_counting_writes(client, reverse("staff:worklist"))
    assert response.status_code == 200
    assert len(writes) == 1
    row = session_row(client)
    # The stored expiry is the idle limit plus the write interval, from this write.
    assert row.expire_date == written.expire_date + 61 * SECOND
    assert client.session[SEEN_AT_KEY] == (start + 61 * SECOND).timestamp()
    # ... and the next 59 seconds write nothing again.
    clock.shift(59 * SECOND)
    assert get_counting_writes(client, reverse("staff:worklist"))[1] == []


def test_a_request_that_changes_the_session_is_saved_within_the_minute(
    client, clock, nurse, male_patient
):
    """Messages live in a cookie here; kept in the session they must still be saved at once."""
    reminder = Reminder.objects.create(
        kind=Reminder.Kind.FOLLOW_UP_VISIT,
        patient=male_patient,
        recipient=male_patient.email,
        subject_key="visit:0",
        due_at=datetime.datetime(2026, 3, 27, 8, 0, tzinfo=datetime.UTC),
        due_date=datetime.date(2026, 3, 27),
        context={},
        status=Reminder.Status.SENT,
    )
    client.force_login(nurse)
    clock.shift(10 * SECOND)
    storage = "django.contrib.messages.storage.session.SessionStorage"
    with override_settings(MESSAGE_STORAGE=storage):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse("staff:reminder-retry", args=[reminder.pk]))
        assert response.status_code == 302
        assert [q for q in queries.captured_queries if WRITE.match(q["sql"])]
        assert "_messages" in client.session
        clock.shift(10 * SECOND)
        # Showing the message takes it out of the session: that is a change, saved too.
        response, writes = get_counting_writes(client, response.url)
        assert "nothing to retry" in response.content.decode()
        assert len(writes) == 1
        assert "_messages" not in client.session
        clock.shift(10 * SECOND)
        assert get_counting_writes(client, response.wsgi_request.path)[1] == []


def test_the_second_factor_step_is_saved_within_the_minute(client, clock, prescriber):
    device = authenticator_for(prescriber)
    password_only_force_login(client, prescriber)
    clock.shift(20 * SECOND)
    assert client.get(reverse("staff:worklist")).url.startswith(
        reverse("accounts:two-factor-verify")
    )
    clock.shift(20 * SECOND)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("accounts:two-factor-verify"), {"code": current_code(device)}
        )
    assert response.status_code == 302
    assert [q for q in queries.captured_queries if WRITE.match(q["sql"])]
    assert client.get(reverse("staff:worklist")).status_code == 200


# The idle limit, to the minute ----------------------------------------------------------------


@pytest.mark.parametrize(("persona", "page", "limit"), ROLES)
def test_a_session_active_within_its_limit_stays(client, clock, personas, persona, page, limit):
    client.force_login(personas[persona])
    clock.shift(3 * MINUTE)
    assert client.get(reverse(page)).status_code == 200  # active at T (and written)
    clock.shift((limit - 1) * MINUTE)
    assert client.get(reverse(page)).status_code == 200
    clock.shift((limit - 1) * MINUTE)  # and again: activity keeps moving the limit on
    assert client.get(reverse(page)).status_code == 200


@pytest.mark.parametrize(("persona", "page", "limit"), ROLES)
def test_a_session_idle_past_its_limit_ends(client, clock, personas, persona, page, limit):
    client.force_login(personas[persona])
    clock.shift(3 * MINUTE)
    assert client.get(reverse(page)).status_code == 200  # active at T (and written)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    clock.shift((limit + 1) * MINUTE)
    response = client.get(reverse(page))
    assert signed_out(response)
    assert response.url == f"{LOGIN}?next={reverse(page)}"  # as when the row itself expired
    assert not Session.objects.filter(session_key=key, expire_date__gt=now()).exists()
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == ""  # the cookie is dropped
    assert "_auth_user_id" not in client.session


def test_the_idle_check_does_not_rely_on_the_rows_expiry(client, clock, nurse):
    """Even if the row were kept longer, the stamp ends the session, and deletes the row."""
    client.force_login(nurse)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=now() + datetime.timedelta(days=1))
    clock.shift(16 * MINUTE - SECOND)
    assert client.get(reverse("staff:worklist")).status_code == 200
    clock.shift(16 * MINUTE)
    Session.objects.filter(session_key=key).update(expire_date=now() + datetime.timedelta(days=1))
    assert signed_out(client.get(reverse("staff:worklist")))
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.parametrize(("persona", "page", "limit"), ROLES)
def test_the_limit_counts_from_the_last_request_not_the_last_write(
    client, clock, personas, persona, page, limit
):
    """Written at t0, a request at t0 + 59 s writes nothing; the limit runs from that request."""
    client.force_login(personas[persona])
    clock.shift(59 * SECOND)
    response, writes = get_counting_writes(client, reverse(page))
    assert response.status_code == 200
    assert writes == []
    # Idle one second short of the limit since that request: never signed out early.
    clock.shift(limit * MINUTE - SECOND)
    response, writes = get_counting_writes(client, reverse(page))
    assert response.status_code == 200
    assert len(writes) == 1


@pytest.mark.parametrize(("persona", "page", "limit"), ROLES)
def test_idle_a_minute_past_the_limit_after_an_unwritten_request_ends(
    client, clock, personas, persona, page, limit
):
    client.force_login(personas[persona])
    clock.shift(59 * SECOND)
    assert client.get(reverse(page)).status_code == 200  # not written
    clock.shift((limit + 1) * MINUTE)
    assert signed_out(client.get(reverse(page)))


@pytest.mark.parametrize(("persona", "page", "limit"), ROLES)
def test_the_session_ends_exactly_limit_plus_a_minute_after_its_last_write(
    personas, persona, page, limit
):
    """The exact rule: ended once the stamp is limit + 1 minute old, not a second before."""
    start = datetime.datetime.now(tz=datetime.UTC).replace(microsecond=0)
    for offset, ends in ((-SECOND, False), (datetime.timedelta(0), True)):
        client = Client()
        with time_machine.travel(start, tick=False) as clock:
            client.force_login(personas[persona])
            clock.shift(30 * SECOND)
            assert client.get(reverse(page)).status_code == 200  # not written
            clock.move_to(start + (limit + 1) * MINUTE + offset)
            assert signed_out(client.get(reverse(page))) is ends, offset


def test_clearsessions_keeps_a_live_row_and_removes_an_idle_one(client, clock, nurse):
    client.force_login(nurse)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    clock.shift(16 * MINUTE - SECOND)
    call_command("clearsessions")
    assert Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("staff:worklist")).status_code == 200  # idle 15 min 59 s: kept
    clock.shift(16 * MINUTE + SECOND)
    call_command("clearsessions")
    assert not Session.objects.filter(session_key=key).exists()
    assert signed_out(client.get(reverse("staff:worklist")))


def test_a_session_signed_in_before_the_stamp_keeps_its_limit(client, clock, patient):
    """A session from before this change has its login's expiry and no stamp yet."""
    client.force_login(patient)
    session = client.session
    del session[SEEN_AT_KEY]
    del session[IDLE_SECONDS_KEY]
    session.set_expiry(30 * 60)
    session.save()
    clock.shift(10 * SECOND)
    response, writes = get_counting_writes(client, reverse("portal:home"))
    assert response.status_code == 200
    assert len(writes) == 1
    assert client.session[IDLE_SECONDS_KEY] == 30 * 60
    clock.shift(29 * MINUTE)
    assert client.get(reverse("portal:home")).status_code == 200


# The other ends of a session ----------------------------------------------------------------


@override_settings(SESSION_ABSOLUTE_HOURS=1)
def test_the_absolute_lifetime_still_ends_a_busy_session(client, clock, nurse):
    started = now()
    client.force_login(nurse)
    while True:
        clock.shift(40 * SECOND)
        response = client.get(reverse("staff:worklist"))
        if response.status_code != 200:
            break
    elapsed = now() - started
    assert datetime.timedelta(hours=1) < elapsed <= datetime.timedelta(hours=1, seconds=40)
    assert signed_out(response)
    assert "Your session ended" in client.get(response.url).content.decode()


def test_sign_out_within_the_minute_deletes_the_session_at_once(client, clock, nurse):
    client.force_login(nurse)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    clock.shift(10 * SECOND)
    assert client.get(reverse("staff:worklist")).status_code == 200
    clock.shift(10 * SECOND)
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert signed_out(replay.get(reverse("staff:worklist")))
