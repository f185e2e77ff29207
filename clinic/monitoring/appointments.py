"""Booking the appointment book (clinic/monitoring/models/appointments.py): typed values in,
a refusal with a message the page shows as it is.

Every change runs in a transaction and sends `appointment_changed` inside it, so the reminders
(clinic/reminders/schedule.py) commit or roll back with the booking. Booking locks the session
row (SELECT ... FOR UPDATE) before counting a slot's places: two nurses booking the last place
at once are served one after the other, and the second is told the slot is full. SQLite has no
row locks but serialises writers, which gives the same answer.

An appointment ends booked, cancelled, did not come (once begun) or attended (from its day on;
also when a visit is recorded for the patient that day). Attended keeps its place in the slot.
The messages are marked for translation: the portal shows some of them to patients.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.monitoring.models import Appointment, ClinicSession
from clinic.monitoring.signals import appointment_changed
from registry.audit import changed_by
from registry.models import Patient

Status = Appointment.Status
Request = Appointment.Request

# What the pages show as they are: the portal shows some to patients, so each is marked for
# translation and said in the reader's language when it is shown (lazy).
FULL = _("This slot is full: every place is booked. Choose another time.")
OUTSIDE = _("That time is not a slot of this clinic session.")
PAST = _("That slot has already started; choose a later one.")
WITHDRAWN = _("This patient has withdrawn: no appointment can be booked.")
TWICE = _("This patient already has an appointment at that time.")
NOT_BOOKED = _("Only a booked appointment can be changed; this one is {status}.")
NO_REQUEST = _("There is no request waiting for the clinic on this appointment.")
REQUEST_WAITING = _("A request is already waiting for the clinic; it will answer it first.")
NO_MESSAGE = _("Say which days or times would suit you.")
NOT_BEGUN = _("An appointment that has not begun cannot be marked missed.")
CHOOSE_NEW_TIME = _("Choose the new time before approving the move.")
NOT_YET_DAY = _("An appointment on a later day cannot be marked attended.")

TAKING_A_PLACE = Appointment.TAKING_A_PLACE
# The history's words for a patient's request: English, whatever language the patient reads
# (the labels of Appointment.Change are translated).
ASKED = {Appointment.Change.CANCEL: "cancel", Appointment.Change.MOVE: "move to another time"}


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
    """Taken places (booked or attended) per (session pk, start) for `sessions`, in one query."""
    rows = (
        Appointment.objects.filter(session__in=sessions, status__in=TAKING_A_PLACE)
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
    # The last day asked, held to the calendar's end: a follow-up typed as 31 Dec 9999 is a
    # day with no sessions, not an overflow.
    last_day = first_day + datetime.timedelta(
        days=min(days - 1, (datetime.date.max - first_day).days)
    )
    sessions = ClinicSession.objects.filter(day__gte=first_day, day__lte=last_day).select_related(
        "prescriber"
    )
    return [slot for slot in slots_of(sessions) if slot.free and slot.starts_at > now]


def follow_up_slots(
    patient: Patient, day: datetime.date, *, now=None
) -> tuple[list[Slot], list[Slot]]:
    """The free slots of `day`: the patient's own prescriber's, and the other prescribers',
    each by time (the visit form offers the first group first)."""
    slots = free_slots(first_day=day, days=1, now=now)
    slots.sort(key=lambda slot: (slot.starts_at, slot.session.starts, slot.session.pk))
    own = [slot for slot in slots if slot.session.prescriber_id == patient.prescriber_id]
    return own, [slot for slot in slots if slot.session.prescriber_id != patient.prescriber_id]


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
    booked = Appointment.objects.filter(status__in=TAKING_A_PLACE, starts_at=starts_at)
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


def not_booked(appointment: Appointment) -> str:
    """NOT_BOOKED with the appointment's status, in the language active now."""
    return NOT_BOOKED.format(status=appointment.get_status_display().lower())


def _set_status(
    appointment: Appointment, status: str, *, by, reason: str, moved_to=None
) -> Appointment:
    appointment = _locked(appointment)
    if not appointment.is_booked:
        raise AppointmentRefused(not_booked(appointment))
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
        raise AppointmentRefused(NOT_BEGUN)
    return _set_status(appointment, Status.NO_SHOW, by=by, reason="Did not come")


@transaction.atomic
def mark_attended(appointment: Appointment, *, by, today: datetime.date | None = None):
    """The patient came. From the appointment's day on (they may come before their slot)."""
    today = today or timezone.localdate()
    if timezone.localtime(appointment.starts_at).date() > today:
        raise AppointmentRefused(NOT_YET_DAY)
    return _set_status(appointment, Status.ATTENDED, by=by, reason="Attended")


@transaction.atomic
def attended_at_visit(patient: Patient, day: datetime.date, *, by) -> list[Appointment]:
    """A visit recorded for `patient` on `day`: their appointments booked that day (clinic
    time) are marked attended, in the visit's transaction. Returns the ones marked."""
    zone = timezone.get_default_timezone()
    midnight = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=zone)
    next_midnight = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(0, 0), tzinfo=zone
    )
    that_day = Appointment.objects.filter(
        patient=patient,
        status=Status.BOOKED,
        starts_at__gte=midnight,
        starts_at__lt=next_midnight,
    ).order_by("starts_at", "pk")
    return [
        _set_status(
            appointment, Status.ATTENDED, by=by, reason="Attended: a visit was recorded that day"
        )
        for appointment in that_day
    ]


@transaction.atomic
def request_change(appointment: Appointment, *, change: str, message: str, by) -> Appointment:
    """The patient asks (from the portal) to cancel or move; staff approve or decline."""
    appointment = _locked(appointment)
    if not appointment.is_booked:
        raise AppointmentRefused(not_booked(appointment))
    if appointment.request_pending:
        raise AppointmentRefused(REQUEST_WAITING)
    change = Appointment.Change(change)  # an unknown change is a ValueError, not a request
    if change == Appointment.Change.MOVE and not message.strip():
        raise AppointmentRefused(NO_MESSAGE)
    appointment.requested_change = change
    appointment.request_status = Request.PENDING
    appointment.request_message = message.strip()[:500]
    appointment.requested_at = timezone.now()
    changed_by(appointment, by, f"Patient asked: {ASKED[change]}").save()
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
        raise AppointmentRefused(CHOOSE_NEW_TIME)
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
