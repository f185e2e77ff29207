"""Every view that follows a `next` sends the browser only to a path on this site (no open
redirect): the flag acknowledgement, the second-factor pages and the sign-in page, each tried
with addresses that lead elsewhere; and no view reads `next` but through safe_next."""

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse

from clinic.monitoring.models import CourseFlag
from tests.clinic.test_url_permissions import a_course
from tests.second_factor import authenticator_for, current_code, password_only_force_login

ELSEWHERE = [
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "http://testserver@evil.example/",
    "\x00//evil.example",
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_flag(personas):
    course_pk = a_course(personas)["pk"]
    flag, _ = CourseFlag.objects.get_or_create(course_id=course_pk, kind="mood_screen")
    return flag


@pytest.mark.parametrize("elsewhere", ELSEWHERE)
def test_the_flag_acknowledgement_goes_back_to_the_course_not_elsewhere(
    client, personas, open_flag, elsewhere
):
    client.force_login(personas["prescriber"])
    url = reverse("staff:flag-acknowledge", args=[open_flag.pk])
    response = client.post(url, {"action": "continue", "next": elsewhere})
    assert response.status_code == 302
    assert response.url == open_flag.course.get_absolute_url()


def test_the_flag_acknowledgement_follows_a_path_of_this_site(client, personas, open_flag):
    client.force_login(personas["prescriber"])
    url = reverse("staff:flag-acknowledge", args=[open_flag.pk])
    response = client.post(url, {"action": "continue", "next": "/staff/?from=flag"})
    assert response.url == "/staff/?from=flag"


@pytest.mark.parametrize("elsewhere", ELSEWHERE)
def test_the_second_factor_code_page_goes_home_not_elsewhere(client, prescriber, elsewhere):
    device = authenticator_for(prescriber)
    password_only_force_login(client, prescriber)
    response = client.post(
        reverse("accounts:two-factor-verify"), {"code": current_code(device), "next": elsewhere}
    )
    assert response.status_code == 302
    assert response.url == "/"


@pytest.mark.parametrize("elsewhere", ELSEWHERE)
def test_the_sign_in_page_goes_to_the_start_page_not_elsewhere(client, nurse, password, elsewhere):
    response = client.post(
        reverse("login") + "?next=" + elsewhere,
        {"username": nurse.username, "password": password, "next": elsewhere},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.url
    assert response.url.startswith("/")
    assert not response.url.startswith("//")


def test_no_view_reads_next_but_through_safe_next():
    """A new view that reads `next` itself would escape the tests above."""
    reads = re.compile(r"""(GET|POST)\.get\(\s*["']next["']""")
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "clinic").rglob("*.py")
        if reads.search(path.read_text()) and path.name != "redirects.py"
    ]
    assert found == []


@pytest.mark.parametrize("elsewhere", ELSEWHERE)
def test_the_passkey_sign_in_goes_home_not_elsewhere(rf, nurse, elsewhere):
    """django-otp-webauthn's completion view reads `next` itself (its own allowed-host check);
    where it sends the browser after a passkey is this site's home for every address above."""
    from clinic.accounts.passkeys import PasskeySignIn

    request = rf.post("/", QUERY_STRING=f"next={quote(elsewhere)}")
    request.user = nurse
    view = PasskeySignIn()
    view.request = request
    assert view.get_success_url() == "/"


def test_the_passkey_sign_in_follows_a_path_of_this_site(rf, nurse):
    from clinic.accounts.passkeys import PasskeySignIn

    request = rf.post("/", QUERY_STRING="next=/staff/patients/")
    request.user = nurse
    view = PasskeySignIn()
    view.request = request
    assert view.get_success_url() == "/staff/patients/"


@pytest.mark.parametrize("elsewhere", ELSEWHERE)
def test_an_appointment_action_goes_back_to_the_patient_not_elsewhere(client, personas, elsewhere):
    """The appointment book's buttons (cancel, no-show, approve, decline) go back to the page
    they were on through safe_next; every address above lands on the patient page."""
    import datetime

    from django.utils import timezone

    from clinic.monitoring import appointments as book

    nurse, patient = personas["nurse"], personas["patient"].patient
    session = book.create_session(
        prescriber=personas["prescriber"],
        day=timezone.localdate() + datetime.timedelta(days=7),
        starts=datetime.time(9, 0),
        ends=datetime.time(10, 0),
        slot_minutes=30,
        capacity=1,
        by=nurse,
    )
    appointment = book.book(patient, session, session.slot_starts()[0], by=nurse)
    client.force_login(nurse)
    url = reverse("staff:appointment-cancel", args=[appointment.pk])
    response = client.post(url, {"next": elsewhere})
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
