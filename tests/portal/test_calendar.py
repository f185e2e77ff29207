"""The calendar: a private subscription link (only its hash stored; renew and revoke) and a
one-off download, built with icalendar from the schedule entries. Checked with icalendar's
parser and with a small line parser written here, which must agree. No drug name, dose or test
word in any event title (PRODUCT.md, "What reminders may say")."""

import datetime
import hashlib
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.conf import settings
from django.urls import reverse

from clinic.monitoring.weights import latest_weight_kg
from clinic.portal.models import CalendarFeed
from dosing.course_data import course_figures
from dosing.schedule import Kind
from tests.portal.builders import FOLLOW_UP_IN_DAYS, TODAY

ZONE = ZoneInfo(settings.TIME_ZONE)
FORBIDDEN_IN_TITLES = (
    "isotretinoin",
    "accutane",
    "absorica",
    "claravis",
    "amnesteem",
    "pregnan",
    "dose",
    "capsule",
    "contracept",
    "acne",
    "retinoid",
)


# A second, independent reader: unfold lines, collect each VEVENT's SUMMARY, DTSTART, DTEND,
# RRULE -------------------------------------------------------------------------------------


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _when(params: dict, value: str, tzids: set):
    if params.get("VALUE") == "DATE":
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    if value.endswith("Z"):
        zone = datetime.UTC
    else:
        assert params["TZID"] in tzids, "a TZID without its VTIMEZONE"
        zone = ZoneInfo(params["TZID"])
    parts = [int(value[i : i + n]) for i, n in ((0, 4), (4, 2), (6, 2), (9, 2), (11, 2), (13, 2))]
    return datetime.datetime(*parts, tzinfo=zone)


def parse_by_lines(text: str) -> list[dict]:
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    lines = re.sub(r"\r\n[ \t]", "", text).split("\r\n")
    tzids = {line.split(":", 1)[1] for line in lines if line.startswith("TZID:")}
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            head, value = line.split(":", 1)
            name, *raw_params = head.split(";")
            params = dict(p.split("=", 1) for p in raw_params)
            if name == "SUMMARY":
                current["summary"] = _unescape(value)
            elif name in ("DTSTART", "DTEND"):
                current[name.lower()] = _when(params, value, tzids)
            elif name == "RRULE":
                rule = dict(part.split("=", 1) for part in value.split(";"))
                current["rrule"] = (rule["FREQ"], _when({}, rule["UNTIL"], tzids))
    return events


def parse_with_icalendar(text: str) -> list[dict]:
    calendar = icalendar.Calendar.from_ical(text)
    events = []
    for event in calendar.walk("VEVENT"):
        found = {"summary": str(event["SUMMARY"]), "dtstart": event.decoded("DTSTART")}
        if "DTEND" in event:
            found["dtend"] = event.decoded("DTEND")
        if "RRULE" in event:
            rule = event["RRULE"]
            found["rrule"] = (rule["FREQ"][0], rule["UNTIL"][0])
        events.append(found)
    return events


def key(event: dict):
    return (str(event["dtstart"]), event["summary"], str(event.get("rrule")))


# Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def course(patient, build_course):
    return build_course(patient.patient, prescriptions=2, visits=1)


def make_link(client, user, action="create") -> str:
    client.force_login(user)
    response = client.post(reverse("portal:calendar"), {"action": action})
    assert response.status_code == 200
    html = response.content.decode()
    url = re.search(r'data-testid="feed-url"', html) and re.search(
        r'id="feed-url"[^>]*value="([^"]+)"', html
    ).group(1)
    assert url.startswith("http://testserver/calendar/")
    return url.removeprefix("http://testserver")


def fetch(client, path) -> str:
    client.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content.decode()


# Parsing --------------------------------------------------------------------------------------


def test_two_parsers_read_the_same_events(client, patient, course):
    text = fetch(client, make_link(client, patient))
    by_lines = sorted(parse_by_lines(text), key=key)
    by_icalendar = sorted(parse_with_icalendar(text), key=key)
    assert len(by_lines) > 10
    assert by_lines == by_icalendar


def test_the_calendar_holds_the_schedules_events(client, patient, course):
    events = parse_by_lines(fetch(client, make_link(client, patient)))
    entries = course_figures(course, weight_kg=latest_weight_kg(course)).entries

    titles = {
        Kind.START: "First day of the course",
        Kind.VISIT: "Clinic visit",
        Kind.PREGNANCY_TEST: "Check-up appointment",
        Kind.PICK_UP: "Pharmacy pick-up window",
        Kind.LIMIT: "Last day of the course (at the latest)",
    }
    # The follow-up booked at the last visit (day +18) replaces the schedule's planned visit and
    # check-up still to come before it (day +16), and brings its own check-up: as "My course".
    booked = TODAY + datetime.timedelta(days=FOLLOW_UP_IN_DAYS)
    superseded = [
        e
        for e in entries
        if e.kind in (Kind.VISIT, Kind.PREGNANCY_TEST) and TODAY <= e.date < booked
    ]
    assert [e.kind for e in superseded] == [Kind.VISIT, Kind.PREGNANCY_TEST]
    one_day = datetime.timedelta(days=1)
    expected_all_day = sorted(
        [
            (titles[e.kind], e.date, (e.end_date or e.date) + one_day)
            for e in entries
            if e.kind in titles and e not in superseded
        ]
        + [
            ("Clinic visit", booked, booked + one_day),
            ("Check-up appointment", booked, booked + one_day),
        ]
    )
    all_day = sorted((e["summary"], e["dtstart"], e["dtend"]) for e in events if "rrule" not in e)
    assert all_day == expected_all_day

    # Daily doses: one recurring event per regimen and time of day; together they cover
    # exactly the schedule's dose entries, at 08:00 and 20:00 local time.
    recurring = [e for e in events if "rrule" in e]
    covered = set()
    for event in recurring:
        assert event["rrule"][0] == "DAILY"
        start, until = event["dtstart"], event["rrule"][1].astimezone(ZONE)
        assert until.time() == start.time()
        time_of_day = {"Morning medicine": "morning", "Evening medicine": "evening"}[
            event["summary"]
        ]
        assert (
            start.time() == {"morning": datetime.time(8), "evening": datetime.time(20)}[time_of_day]
        )
        day = start.date()
        while day <= until.date():
            assert (day, time_of_day) not in covered
            covered.add((day, time_of_day))
            day += datetime.timedelta(days=1)
    doses = {(e.date, e.time_of_day) for e in entries if e.kind == Kind.DOSE}
    assert covered == doses
    # Two regimens (20 mg, then 30 mg), each morning and evening: four events, not 120.
    assert len(recurring) == 4


def test_no_event_title_names_the_drug_a_dose_or_a_test(client, patient, course):
    text = fetch(client, make_link(client, patient))
    titles = [e["summary"] for e in parse_with_icalendar(text)]
    assert titles
    for title in titles:
        lowered = title.lower()
        assert not [word for word in FORBIDDEN_IN_TITLES if word in lowered], title
        assert not re.search(r"\btests?\b", lowered), title
        assert not re.search(r"\d\s*mg\b", lowered), title
    # Nor anywhere else in the file (descriptions, calendar name).
    lowered = text.lower()
    for word in ("isotretinoin", "accutane", "absorica", "claravis", "pregnan", "capsule"):
        assert word not in lowered
    assert not re.search(r"\bmg\b", lowered)


# The private link ----------------------------------------------------------------------------


def test_only_the_tokens_hash_is_stored_and_the_link_is_shown_once(client, patient, course):
    path = make_link(client, patient)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash
    client.force_login(patient)
    page = client.get(reverse("portal:calendar")).content.decode()
    assert token not in page
    assert "Your link is working" in page


def test_a_stopped_link_answers_404(client, patient, course):
    path = make_link(client, patient)
    fetch(client, path)
    client.force_login(patient)
    response = client.post(reverse("portal:calendar"), {"action": "revoke"})
    assert response.status_code == 302
    client.logout()
    assert client.get(path).status_code == 404
    assert CalendarFeed.objects.get().revoked_at is not None


def test_a_new_link_stops_the_old_one(client, patient, course):
    old = make_link(client, patient)
    new = make_link(client, patient, action="renew")
    assert old != new
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at=None).count() == 1


def test_an_unknown_token_answers_404(client, db):
    assert client.get(reverse("portal:calendar-feed", args=["nothing-here"])).status_code == 404


def test_the_token_opens_the_feed_and_nothing_else(client, patient, course):
    path = make_link(client, patient)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    client.logout()
    assert client.get(path).status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.post(path).status_code == 405
    for other in (
        f"/calendar/{token}",
        f"/calendar/{token}/",
        f"/calendar/{token}.json",
        f"/my/?token={token}",
    ):
        response = client.get(other)
        assert response.status_code in (302, 404), other
        if response.status_code == 302:
            assert response.url.startswith(reverse("login"))
    assert client.get(reverse("portal:home")).status_code == 302
    assert client.get(reverse("portal:calendar-download")).status_code == 302


def test_a_feed_shows_its_own_patients_course_only(
    client, patient, other_patient, course, build_course
):
    theirs = build_course(other_patient.patient, prescriptions=1, visits=0)
    mine = parse_by_lines(fetch(client, make_link(client, patient)))
    other = parse_by_lines(fetch(client, make_link(client, other_patient)))
    # Two regimens for Alex, one for Jordan; Jordan's pick-up window is Jordan's own.
    assert len([e for e in mine if "rrule" in e]) == 4
    assert len([e for e in other if "rrule" in e]) == 2
    windows = {e["dtstart"] for e in other if e["summary"] == "Pharmacy pick-up window"}
    assert windows == {theirs.prescriptions.get().window_opens}


def test_a_patient_without_a_course_gets_an_empty_calendar(client, patient):
    text = fetch(client, make_link(client, patient))
    assert parse_by_lines(text) == []
    assert icalendar.Calendar.from_ical(text).walk("VEVENT") == []


def test_the_one_off_download_is_for_the_signed_in_patient(client, patient, course):
    client.force_login(patient)
    response = client.get(reverse("portal:calendar-download"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="clinic-calendar.ics"'
    text = response.content.decode()
    assert sorted(parse_by_lines(text), key=key) == sorted(parse_with_icalendar(text), key=key)
    assert not CalendarFeed.objects.exists()
    client.logout()
    assert client.get(reverse("portal:calendar-download")).status_code == 302


# The events themselves, from schedule entries ---------------------------------------------------


def figures_like(*, today, needs_tests=True, per_day=2, start=datetime.date(2027, 1, 4)):
    from types import SimpleNamespace

    from dosing import schedule

    supply = schedule.PlannedSupply(
        starts=start,
        days=30,
        mg_per_dose=30,
        doses_per_day=per_day,
        capsules="1 × 30 mg",
        window_opens=start,
        window_closes=start + datetime.timedelta(days=6),
        dispensed=True,
    )
    entries = schedule.build_schedule(
        start=start,
        end=None,
        supplies=[supply],
        needs_pregnancy_tests=needs_tests,
        target_date=None,
    )
    return SimpleNamespace(course=SimpleNamespace(pk=7), today=today, entries=entries)


def test_a_booked_visit_on_a_planned_day_is_one_event():
    from clinic.portal.calendar_feed import calendar_events

    start = datetime.date(2027, 1, 4)
    planned = start + datetime.timedelta(days=28)
    events = calendar_events(figures_like(today=start, start=start), booked_visit=planned)
    on_the_day = sorted(e.title for e in events if e.first_day == planned)
    assert on_the_day == ["Check-up appointment", "Clinic visit"]
    assert len({e.uid for e in events}) == len(events)


def test_no_check_up_appointments_for_a_patient_who_cannot_get_pregnant():
    from clinic.portal.calendar_feed import calendar_events

    start = datetime.date(2027, 1, 4)
    booked = start + datetime.timedelta(days=30)
    events = calendar_events(
        figures_like(today=start, needs_tests=False, start=start), booked_visit=booked
    )
    assert "Check-up appointment" not in {e.title for e in events}
    visits = [e.first_day for e in events if e.title == "Clinic visit"]
    assert booked in visits
    assert start + datetime.timedelta(days=28) not in visits  # replaced by the booked one


def test_once_daily_dosing_is_one_morning_event():
    from clinic.portal.calendar_feed import calendar_events, to_ical

    start = datetime.date(2027, 1, 4)
    events = calendar_events(figures_like(today=start, per_day=1, start=start))
    daily = [e for e in events if e.repeats_daily]
    assert [(e.title, e.first_day, e.last_day) for e in daily] == [
        ("Morning medicine", start, start + datetime.timedelta(days=29))
    ]
    parsed = [e for e in parse_by_lines(to_ical(events).decode()) if "rrule" in e]
    assert parsed[0]["rrule"][1] == datetime.datetime(2027, 2, 2, 8, 0, tzinfo=datetime.UTC)


def test_after_a_positive_test_the_feed_has_no_medicine_pick_up_or_limit_from_that_day(
    client, patient, course, nurse
):
    """R18 reaches the calendar: the stop day ends every medicine reminder, the open pick-up
    window goes with its voided prescription, and no "last day of the course" remains."""
    from clinic.monitoring import services as clinic_services

    url = make_link(client, patient)
    before = {e["summary"] for e in parse_with_icalendar(fetch(client, url))}
    assert {"Morning medicine", "Pharmacy pick-up window"} <= before
    clinic_services.record_pregnancy_test(
        patient.patient, by=nurse, specimen_date=TODAY, result="positive", setting="medical"
    )
    events = parse_with_icalendar(fetch(client, url))
    for event in events:
        if event["summary"].endswith("medicine"):
            last = event["rrule"][1]
            last = last.date() if hasattr(last, "date") else last
            assert last < TODAY, event
        assert event["summary"] != "Last day of the course (at the latest)"
        if event["summary"] == "Pharmacy pick-up window":
            start = event["dtstart"]
            assert (start.date() if hasattr(start, "date") else start) < TODAY
