"""The portal's course builder, for pages with a course to show, and an appointment to show."""

import datetime

from django.utils import timezone

from clinic.monitoring import appointments as book
from tests.portal.builders import build_course  # noqa: F401


def book_at_ten(record, *, day, prescriber, nurse):
    """A clinic of `prescriber` on `day` from 10:00 to 11:00 (30-minute slots, 2 places), with
    `record` booked at 10:00 by `nurse`; returns the appointment."""
    session = book.create_session(
        prescriber=prescriber,
        day=day,
        starts=datetime.time(10, 0),
        ends=datetime.time(11, 0),
        slot_minutes=30,
        capacity=2,
        by=prescriber,
    )
    start = datetime.datetime.combine(
        day, datetime.time(10, 0), tzinfo=timezone.get_default_timezone()
    )
    return book.book(record, session, start, by=nurse)
