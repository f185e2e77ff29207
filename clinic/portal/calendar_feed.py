"""The patient's calendar (iCalendar, built with icalendar) from the course schedule entries.

A phone shows event titles on its lock screen, so no title (and no description) names the
medicine, a dose or a test: "Clinic visit", "Check-up appointment", "Pharmacy pick-up window",
"Morning medicine" (PRODUCT.md, "What reminders may say"). The details are in the portal.

Daily doses are one recurring event per regimen and time of day (RRULE FREQ=DAILY with UNTIL),
not one event per day: a new regimen starts a new event.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.portal.models import CalendarFeed, hash_feed_token
from dosing.course_data import CourseFigures
from dosing.schedule import Entry, Kind
from registry.models import Patient

# Written in the patient's language: the views build the calendar inside
# translation.override(patient.language), and each event takes its words when it is made.
CALENDAR_NAME = _("Clinic appointments")
DOSE_TIMES = {"morning": datetime.time(8, 0), "evening": datetime.time(20, 0)}
DOSE_MINUTES = 15

# Translators: calendar event titles can show on a phone's lock screen: never name the
# medicine, a dose, a test or pregnancy.
TITLES = {
    Kind.START: _("First day of the course"),
    Kind.VISIT: _("Clinic visit"),
    Kind.PREGNANCY_TEST: _("Check-up appointment"),
    Kind.PICK_UP: _("Pharmacy pick-up window"),
    Kind.LIMIT: _("Last day of the course (at the latest)"),
}
MEDICINE_TITLES = {"morning": _("Morning medicine"), "evening": _("Evening medicine")}
# Each description is one message with its last sentence, so a translator reads it whole.
DESCRIPTIONS = {
    Kind.START: _("The first day of your course. See the patient portal for details."),
    Kind.VISIT: _("Your monthly visit at the clinic. See the patient portal for details."),
    Kind.PREGNANCY_TEST: _("A short check-up at the clinic. See the patient portal for details."),
    Kind.PICK_UP: _(
        "Collect from your pharmacy within these days. See the patient portal for details."
    ),
    Kind.LIMIT: _("Your course ends by this day. See the patient portal for details."),
}
BOOKED = {
    Kind.VISIT: _(
        "Your visit at the clinic, booked at your last visit. See the patient portal for details."
    ),
    Kind.PREGNANCY_TEST: _(
        "A short check-up at the clinic, at or just before your visit. See the patient portal "
        "for details."
    ),
}
MEDICINE_DESCRIPTION = _(
    "Time for your medicine. If you forget, skip it and go on as planned: never take two at "
    "once. See the patient portal for details."
)
# Kinds of schedule entry left out of the calendar: daily doses become recurring events, and the
# projected day the planned total is reached is a figure for the portal, not an appointment.
NOT_EVENTS = {Kind.DOSE, Kind.TARGET}


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    title: str
    description: str
    first_day: datetime.date
    last_day: datetime.date  # inclusive; all-day events end the day after (DTEND exclusive)
    at: datetime.time | None = None  # a timed event (dose reminders); None: all day
    repeats_daily: bool = False  # then it recurs every day from first_day to last_day


def _uid(course_pk: int, *parts) -> str:
    digest = hashlib.sha256(":".join(str(p) for p in (course_pk, *parts)).encode()).hexdigest()
    return f"{digest[:24]}@isocourse"


def dose_regimens(entries: list[Entry]) -> list[tuple[str, datetime.date, datetime.date]]:
    """(time of day, first day, last day) for each run of consecutive days on which the dose at
    that time of day is the same."""
    runs: dict[str, list[list]] = {}
    for entry in sorted(
        (e for e in entries if e.kind == Kind.DOSE), key=lambda e: (e.time_of_day, e.date)
    ):
        key = (entry.mg, entry.capsules)
        per_time = runs.setdefault(entry.time_of_day, [])
        if (
            per_time
            and per_time[-1][0] == key
            and per_time[-1][2] + datetime.timedelta(days=1) == entry.date
        ):
            per_time[-1][2] = entry.date
        else:
            per_time.append([key, entry.date, entry.date])
    found = [(time, first, last) for time, rows in runs.items() for _key, first, last in rows]
    return sorted(found, key=lambda run: (run[1], run[0] != "morning"))


def calendar_events(
    figures: CourseFigures, *, booked_visit: datetime.date | None = None
) -> list[CalendarEvent]:
    """The events of the course's calendar, in date order.

    `booked_visit` is the follow-up planned at the patient's last visit (today or later). It
    replaces the schedule's planned visits (and the check-ups that go with them) from today
    until that day, which will not happen as planned, and is a clinic visit itself (with its
    check-up appointment where the schedule has them), as the portal's start page says.
    """
    course_pk = figures.course.pk
    today = figures.today
    at_visits = {Kind.VISIT, Kind.PREGNANCY_TEST}
    events, seen = [], set()

    def add(kind, first, last, *, description=None):
        uid = _uid(course_pk, kind, first, last)
        if uid in seen:  # two entries alike (two windows opening the same day): keep both
            uid = _uid(course_pk, kind, first, last, len(events))
        seen.add(uid)
        events.append(
            CalendarEvent(
                uid=uid,
                title=str(TITLES[kind]),
                description=str(description or DESCRIPTIONS[kind]),
                first_day=first,
                last_day=last,
            )
        )

    for entry in figures.entries:
        if entry.kind in NOT_EVENTS:
            continue
        if booked_visit and entry.kind in at_visits and today <= entry.date < booked_visit:
            continue  # superseded by the booked visit
        add(entry.kind, entry.date, entry.end_date or entry.date)
    if booked_visit:
        needs_check_ups = any(e.kind == Kind.PREGNANCY_TEST for e in figures.entries)
        for kind in (Kind.VISIT, Kind.PREGNANCY_TEST):
            if kind == Kind.PREGNANCY_TEST and not needs_check_ups:
                continue
            if any(e.kind == kind and e.date == booked_visit for e in figures.entries):
                continue  # the schedule has it already
            add(kind, booked_visit, booked_visit, description=BOOKED[kind])
    for time_of_day, first, last in dose_regimens(figures.entries):
        events.append(
            CalendarEvent(
                uid=_uid(course_pk, "medicine", time_of_day, first),
                title=str(MEDICINE_TITLES[time_of_day]),
                description=str(MEDICINE_DESCRIPTION),
                first_day=first,
                last_day=last,
                at=DOSE_TIMES[time_of_day],
                repeats_daily=True,
            )
        )
    events.sort(key=lambda e: (e.first_day, e.at or datetime.time(0), e.title))
    return events


def to_ical(events: list[CalendarEvent], *, now: datetime.datetime | None = None) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    stamp = (now or timezone.now()).astimezone(datetime.UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//IsoCourse//Patient calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", str(CALENDAR_NAME))
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for item in events:
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("summary", item.title)
        event.add("description", item.description)
        # Reminders and multi-day windows do not make the patient look busy.
        busy = item.at is None and item.last_day == item.first_day
        event.add("transp", "OPAQUE" if busy else "TRANSPARENT")
        if item.at is None:
            event.add("dtstart", item.first_day)
            event.add("dtend", item.last_day + datetime.timedelta(days=1))
        else:
            start = datetime.datetime.combine(item.first_day, item.at, tzinfo=zone)
            event.add("dtstart", start)
            event.add("duration", datetime.timedelta(minutes=DOSE_MINUTES))
        if item.repeats_daily:
            # RFC 5545: with a zoned DTSTART, UNTIL is given in UTC.
            until = datetime.datetime.combine(item.last_day, item.at, tzinfo=zone)
            event.add("rrule", {"freq": "daily", "until": until.astimezone(datetime.UTC)})
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def empty_calendar(*, now: datetime.datetime | None = None) -> bytes:
    return to_ical([], now=now)


# The private subscription link -------------------------------------------------------------


def active_feed(patient: Patient) -> CalendarFeed | None:
    return patient.calendar_feeds.filter(revoked_at=None).order_by("-created_at").first()


@transaction.atomic
def issue_feed(patient: Patient) -> str:
    """A new private link (the old one, if any, stops working). Returns the token: it is shown
    to the patient once; only its hash is stored."""
    # Lock the patient row: two requests at once leave one live link, not two.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    revoke_feeds(patient)
    token = CalendarFeed.new_token()
    CalendarFeed.objects.create(patient=patient, token_hash=hash_feed_token(token))
    return token


def revoke_feeds(patient: Patient) -> int:
    return patient.calendar_feeds.filter(revoked_at=None).update(revoked_at=timezone.now())


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed a token opens, or None (unknown or revoked). Looked up by hash only."""
    if not token or len(token) > 200:
        return None
    return (
        CalendarFeed.objects.select_related("patient")
        .filter(token_hash=hash_feed_token(token), revoked_at=None)
        .first()
    )
