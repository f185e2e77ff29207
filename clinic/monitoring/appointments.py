"""Booking the appointment book (clinic/monitoring/models/appointments.py): typed values in,
a refusal with a message the page shows as it is.

Every change runs in a transaction and sends `appointment_changed` inside it, so the reminders
(clinic/reminders/schedule.py) commit or roll back with the booking. Booking locks the session
row (SELECT ... FOR UPDATE) before counting a slot's places: two nurses booking the last place
at once are served one after the other, and the second is told the slot is full. SQLite has no
row locks but serialises writers, which gives the same answer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from clinic.monitoring.models import Appointment, ClinicSession
from clinic.monitoring.signals import appointment_changed
from registry.audit import changed_by
from registry.models import Patient

Status = Appointment.Status
Request = Appointment.Request

FULL = "This slot is full: every place is booked. Choose another time."
OUTSIDE = "That time is not a slot of this clinic session."
PAST = "That slot has already started; choose a later one."
WITHDRAWN = "This patient has withdrawn: no appointment can be booked."
TWICE = "This patient already has an appointment at that time."
NOT_BOOKED = "Only a booked appointment can be changed; this one is {status}."
NO_REQUEST = "There is no request waiting for the clinic on this appointment."
REQUEST_WAITING = "A request is already waiting for the clinic; it will answer it first."
NO_MESSAGE = "Say which days or times would suit you."


class AppointmentRefused(Exception):
    """A booking or change the book does not allow; str() is the message for the page."""


@dataclass(frozen=True)
class Slot:
    session: ClinicSession
    starts_at: datetime.datetime
    booked: int

    @property
    def free(self) -> int:
        return max(self.session.capacity - self.booked, 0)

    @property
    def key(self) -> str:
        """How a form names the slot: "<session pk>@<ISO start>"."""
        return f"{self.session.pk}@{self.starts_at.isoformat()}"


def parse_slot_key(key: str) -> tuple[int, datetime.datetime] | None:
    """The session pk and start of a slot key, or None for anything else (a tampered value)."""
    pk, _, start = (key or "").partition("@")
    try:
        moment = datetime.datetime.fromisoformat(start)
        pk = int(pk)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        return None
    return pk, moment


def booked_counts(sessions) -> dict[tuple[int, datetime.datetime], int]:
    """Booked places per (session pk, start) for `sessions`, in one query."""
    rows = (
        Appointment.objects.filter(session__in=sessions, status=Status.BOOKED)
        .values("session_id", "starts_at")
        .annotate(n=Count("pk"))
    )
    return {(row["session_id"], row["starts_at"]): row["n"] for row in rows}


def slots_of(sessions) -> list[Slot]:
    sessions = list(sessions)
    counts = booked_counts(sessions)
    return [
        Slot(session, start, counts.get((session.pk, start), 0))
        for session in sessions
        for start in session.slot_starts()
    ]


def free_slots(*, first_day: datetime.date, days: int = 28, now=None) -> list[Slot]:
    """The slots from `first_day` for `days` days that have a free place and have not begun."""
    now = now or timezone.now()
    sessions = ClinicSession.objects.filter(
        day__gte=first_day, day__lt=first_day + datetime.timedelta(days=days)
    ).select_related("prescriber")
    return [slot for slot in slots_of(sessions) if slot.free and slot.starts_at > now]


def create_session(
    *, prescriber, day, starts, ends, slot_minutes: int, capacity: int, by
) -> ClinicSession:
    session = changed_by(
        ClinicSession(
            prescriber=prescriber,
            day=day,
            starts=starts,
            ends=ends,
            slot_minutes=slot_minutes,
            capacity=capacity,
            created_by=by,
        ),
        by,
    )
    session.save()
    return session


@transaction.atomic
def book(
    patient: Patient, session: ClinicSession, starts_at: datetime.datetime, *, by, now=None
) -> Appointment:
    """Book `patient` into the slot of `session` starting at `starts_at`, or refuse."""
    now = now or timezone.now()
    # The lock: every booking of this session waits here for the one before it to commit.
    session = ClinicSession.objects.select_for_update().get(pk=session.pk)
    if patient.status == Patient.Status.WITHDRAWN:
        raise AppointmentRefused(WITHDRAWN)
    if starts_at not in session.slot_starts():
        raise AppointmentRefused(OUTSIDE)
    if starts_at <= now:
        raise AppointmentRefused(PAST)
    booked = Appointment.objects.filter(status=Status.BOOKED, starts_at=starts_at)
    if booked.filter(patient=patient).exists():
        raise AppointmentRefused(TWICE)
    if booked.filter(session=session).count() >= session.capacity:
        raise AppointmentRefused(FULL)
    appointment = changed_by(
        Appointment(patient=patient, session=session, starts_at=starts_at, booked_by=by),
        by,
        "Booked",
    )
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal keeps the outer one
            appointment.save()
    except IntegrityError as error:  # the same patient booked at the same moment meanwhile
        raise AppointmentRefused(TWICE) from error
    appointment_changed.send(sender=Appointment, appointment=appointment, by=by)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    locked = Appointment.objects.select_for_update().select_related("patient", "session")
    return locked.get(pk=appointment.pk)


def _set_status(
    appointment: Appointment, status: str, *, by, reason: str, moved_to=None
) -> Appointment:
    appointment = _locked(appointment)
    if not appointment.is_booked:
        raise AppointmentRefused(NOT_BOOKED.format(status=appointment.get_status_display().lower()))
    appointment.status = status
    appointment.moved_to = moved_to
    if appointment.request_pending:  # the clinic acted: the patient's request is answered
        appointment.request_status = Request.APPROVED
    changed_by(appointment, by, reason).save()
    appointment_changed.send(sender=Appointment, appointment=appointment, by=by)
    return appointment


@transaction.atomic
def cancel(appointment: Appointment, *, by) -> Appointment:
    return _set_status(appointment, Status.CANCELLED, by=by, reason="Cancelled")


@transaction.atomic
def mark_no_show(appointment: Appointment, *, by) -> Appointment:
    """The patient did not come. Only once the appointment has begun."""
    if appointment.starts_at > timezone.now():
        raise AppointmentRefused("An appointment that has not begun cannot be marked missed.")
    return _set_status(appointment, Status.NO_SHOW, by=by, reason="Did not come")


@transaction.atomic
def request_change(appointment: Appointment, *, change: str, message: str, by) -> Appointment:
    """The patient asks (from the portal) to cancel or move; staff approve or decline."""
    appointment = _locked(appointment)
    if not appointment.is_booked:
        raise AppointmentRefused(NOT_BOOKED.format(status=appointment.get_status_display().lower()))
    if appointment.request_pending:
        raise AppointmentRefused(REQUEST_WAITING)
    change = Appointment.Change(change)  # an unknown change is a ValueError, not a request
    if change == Appointment.Change.MOVE and not message.strip():
        raise AppointmentRefused(NO_MESSAGE)
    appointment.requested_change = change
    appointment.request_status = Request.PENDING
    appointment.request_message = message.strip()[:500]
    appointment.requested_at = timezone.now()
    changed_by(appointment, by, f"Patient asked: {change.label.lower()}").save()
    return appointment


@transaction.atomic
def approve(
    appointment: Appointment,
    *,
    by,
    new_session: ClinicSession | None = None,
    new_start: datetime.datetime | None = None,
) -> Appointment:
    """Approve the patient's request: a cancel cancels; a move books the new slot staff chose
    (refused like any booking) and cancels the old one. Returns the appointment in force."""
    appointment = _locked(appointment)
    if not appointment.request_pending:
        raise AppointmentRefused(NO_REQUEST)
    if appointment.requested_change == Appointment.Change.CANCEL:
        return _set_status(
            appointment, Status.CANCELLED, by=by, reason="Cancelled at the patient's request"
        )
    if new_session is None or new_start is None:
        raise AppointmentRefused("Choose the new time before approving the move.")
    moved = book(appointment.patient, new_session, new_start, by=by)
    _set_status(
        appointment,
        Status.CANCELLED,
        by=by,
        reason="Moved at the patient's request",
        moved_to=moved,
    )
    return moved


@transaction.atomic
def decline(appointment: Appointment, *, by) -> Appointment:
    appointment = _locked(appointment)
    if not appointment.request_pending:
        raise AppointmentRefused(NO_REQUEST)
    appointment.request_status = Request.DECLINED
    changed_by(appointment, by, "Request declined").save()
    return appointment


def upcoming_for(patient: Patient, *, now=None):
    """The patient's booked appointments that have not ended, soonest first (one query)."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            patient=patient, status=Status.BOOKED, starts_at__gte=now - datetime.timedelta(hours=4)
        )
        .select_related("patient", "session__prescriber")
        .order_by("starts_at", "pk")
    )


def pending_requests():
    return (
        Appointment.objects.filter(request_status=Request.PENDING, status=Status.BOOKED)
        .select_related("patient", "session__prescriber")
        .order_by("starts_at", "pk")
    )
