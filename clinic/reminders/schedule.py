"""Writing reminder rows (the outbox). Called inside the transaction of the change that causes
them, so a reminder exists exactly when its cause was committed (DESIGN.md, "Background work").

Every reminder is due at 08:00 on a day in the clinic's time zone (settings.TIME_ZONE). A row is
unique per (recipient, kind, subject record, due day) among rows not cancelled; writing is
"cancel the open rows that are no longer wanted, insert the wanted ones, ignore the ones that
exist", so calling a function twice changes nothing and two transactions racing each other
leave one row.

Rows for patients are written whether or not the patient consented to reminders: the sender
checks consent (and the channel) when the row is due and marks it skipped with the reason, so
staff can see in the send log why nothing went out. Each patient reminder is written once for
each of the patient's recipients (clinic/reminders/recipients.py: the patient, and a guardian
who receives reminders).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.monitoring.models import Appointment, Visit
from clinic.monitoring.thresholds import MONTH_TWO_LABS_DUE_FROM_DAY, MONTH_TWO_LABS_FROM_DAY
from clinic.reminders.models import Reminder
from clinic.reminders.recipients import for_each_recipient
from dosing.models import Prescription, TreatmentCourse
from dosing.services import PREGNANCY_TEST_WINDOW_DAYS
from registry.models import Patient, PharmacyCertification, PregnancyTest

Kind = Reminder.Kind
Status = Reminder.Status

SEND_AT = datetime.time(8, 0)  # every reminder goes out at 08:00 clinic local time
DAYS_BEFORE_VISIT = 3
SHORT_WINDOW_REMINDER_DAY = 5  # day 5 of a 7-day pick-up window (day 1 = window opens)
DAYS_BEFORE_LONG_WINDOW_CLOSES = 2  # a 30-day window: 2 days before it closes
CERTIFICATION_NOTICE_DAYS = 30

# The kinds a follow-up visit causes; their subject is the visit ("visit:<pk>").
VISIT_KINDS = (Kind.FOLLOW_UP_VISIT, Kind.PREGNANCY_TEST_DUE, Kind.MONTHLY_CONFIRMATION)


def send_time(day: datetime.date) -> datetime.datetime:
    """08:00 on `day` in the clinic's zone (an aware datetime; stored in UTC)."""
    return datetime.datetime.combine(day, SEND_AT, tzinfo=timezone.get_default_timezone())


def one_month_after(day: datetime.date) -> datetime.date:
    """The same day of the next month, or that month's last day (31 Jan -> 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _reminder(kind, *, recipient, subject_key, day, patient=None, **context) -> Reminder:
    return Reminder(
        kind=kind,
        patient=patient,
        recipient=recipient or "",
        subject_key=subject_key,
        due_at=send_time(day),
        due_date=day,
        context={key: _plain(value) for key, value in context.items()},
    )


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _key(row) -> tuple:
    return (row.recipient, row.kind, row.subject_key, row.due_date)


def _replace_open(scope: Q, wanted: Iterable[Reminder], *, reason: str) -> list[Reminder]:
    """Make the open (scheduled) rows in `scope` exactly `wanted`.

    Open rows not wanted any more are cancelled, with `reason` for the send log; wanted rows
    are inserted unless a row with the same key exists (open, sent, skipped or failed: the
    reminder was already written once and is not written twice).
    """
    wanted = [row for row in wanted if row.due_date >= timezone.localdate()]
    keys = {_key(row) for row in wanted}
    open_rows = Reminder.objects.filter(scope, status=Status.SCHEDULED).only(
        "pk", "recipient", "kind", "subject_key", "due_date"
    )
    stale = [row.pk for row in open_rows if _key(row) not in keys]
    if stale:
        Reminder.objects.filter(pk__in=stale, status=Status.SCHEDULED).update(
            status=Status.CANCELLED, last_error=reason, next_attempt_at=None
        )
    if wanted:
        # ON CONFLICT DO NOTHING (PostgreSQL) / INSERT OR IGNORE (SQLite) on the unique key.
        Reminder.objects.bulk_create(wanted, ignore_conflicts=True)
    return wanted


# Visits ------------------------------------------------------------------------------------


def schedule_visit_reminders(visit: Visit) -> None:
    """Follow-up visit reminders (3 days before and on the morning of visit.next_follow_up)
    and, for a patient who can get pregnant, a test reminder (course active or planned) and a
    monthly confirmation reminder (course active), both with the 3-days-before one.

    The patient's latest visit plans the next follow-up: the open reminders of the patient's
    earlier planned follow-up are cancelled and replaced. An older visit entered late changes
    nothing.
    """
    patient = visit.patient
    later_visit = (
        Visit.objects.filter(patient_id=patient.pk)
        .filter(
            Q(visit_date__gt=visit.visit_date) | Q(visit_date=visit.visit_date, pk__gt=visit.pk)
        )
        .exists()
    )
    if later_visit:
        return
    follow_up = visit.next_follow_up
    wanted: list[Reminder] = []
    reason = "Cancelled: the follow-up visit was rescheduled."
    if follow_up and patient.status != Patient.Status.WITHDRAWN:
        course_statuses = set(patient.courses.values_list("status", flat=True))
        before = follow_up - datetime.timedelta(days=DAYS_BEFORE_VISIT)
        common = {"recipient": patient.email, "subject_key": f"visit:{visit.pk}"}
        if _appointment_booked_on(patient, follow_up):
            # A booked appointment that day has its own reminders, with the time: the
            # follow-up's would tell the patient the same day twice.
            reason = "Cancelled: an appointment booked that day has its own reminders."
        else:
            wanted += [
                _reminder(
                    Kind.FOLLOW_UP_VISIT, patient=patient, day=before, visit_on=follow_up, **common
                ),
                _reminder(
                    Kind.FOLLOW_UP_VISIT,
                    patient=patient,
                    day=follow_up,
                    visit_on=follow_up,
                    **common,
                ),
            ]
        if patient.can_get_pregnant and course_statuses & {"active", "planned"}:
            wanted.append(
                _reminder(
                    Kind.PREGNANCY_TEST_DUE,
                    patient=patient,
                    day=before,
                    visit_on=follow_up,
                    reason="visit",
                    **common,
                )
            )
        if patient.can_get_pregnant and "active" in course_statuses:
            wanted.append(
                _reminder(
                    Kind.MONTHLY_CONFIRMATION,
                    patient=patient,
                    day=before,
                    visit_on=follow_up,
                    **common,
                )
            )
    wanted = for_each_recipient(patient, wanted)
    _replace_open(
        Q(patient_id=patient.pk, kind__in=VISIT_KINDS, subject_key__startswith="visit:"),
        wanted,
        reason=reason,
    )


# Appointments (clinic/monitoring/appointments.py) ------------------------------------------

DAYS_BEFORE_APPOINTMENT = 2


def _appointment_booked_on(patient: Patient, day: datetime.date) -> bool:
    """Whether the patient has a booked appointment on `day` (in the clinic's zone). A date
    lookup, not a range of moments: the calendar's last day has no day after it."""
    with timezone.override(timezone.get_default_timezone()):
        return Appointment.objects.filter(
            patient_id=patient.pk, status=Appointment.Status.BOOKED, starts_at__date=day
        ).exists()


def schedule_appointment_reminders(appointment: Appointment) -> None:
    """Two days before and on the morning of a booked appointment (08:00, clinic time), saying
    only the day and the time. Cancelling, moving or marking it cancels the open ones; a
    morning reminder that would come after an early appointment has begun is not written."""
    patient = appointment.patient
    wanted: list[Reminder] = []
    if appointment.is_booked and patient.status != Patient.Status.WITHDRAWN:
        local = timezone.localtime(appointment.starts_at)
        common = {
            "patient": patient,
            "recipient": patient.email,
            "subject_key": f"appointment:{appointment.pk}",
            "appointment_on": local.date(),
            "at": f"{local:%H:%M}",
        }
        before = local.date() - datetime.timedelta(days=DAYS_BEFORE_APPOINTMENT)
        wanted.append(_reminder(Kind.APPOINTMENT, day=before, **common))
        if send_time(local.date()) < appointment.starts_at:
            wanted.append(_reminder(Kind.APPOINTMENT, day=local.date(), **common))
    wanted = for_each_recipient(patient, wanted)
    _replace_open(
        Q(kind=Kind.APPOINTMENT, subject_key=f"appointment:{appointment.pk}"),
        wanted,
        reason="Cancelled: the appointment was cancelled or moved.",
    )
    # The follow-up visit's own day reminders give way to a booked appointment that day, and
    # come back when it is cancelled or moved: the latest visit's are written again.
    latest = Visit.objects.filter(patient_id=patient.pk).order_by("-visit_date", "-pk").first()
    if latest is not None and latest.next_follow_up:
        schedule_visit_reminders(latest)


# Prescriptions -----------------------------------------------------------------------------


def pick_up_reminder_day(prescription: Prescription) -> datetime.date:
    """Day 5 of a 7-day window (R14); otherwise 2 days before the window closes (R15)."""
    opens, closes = prescription.window_opens, prescription.window_closes
    length = (closes - opens).days + 1
    if length == PREGNANCY_TEST_WINDOW_DAYS:
        day = opens + datetime.timedelta(days=SHORT_WINDOW_REMINDER_DAY - 1)
    else:
        day = closes - datetime.timedelta(days=DAYS_BEFORE_LONG_WINDOW_CLOSES)
    return max(day, opens)


def schedule_prescription_reminders(prescription: Prescription) -> None:
    """Pick-up window closing (day 5 of a 7-day window, or 2 days before a 30-day window
    closes) for the patient of `prescription`; none once it is voided or its course is over."""
    course = prescription.course
    patient = course.patient
    wanted = []
    if (
        course.is_active
        and prescription.voided_at is None
        and patient.status != Patient.Status.WITHDRAWN
    ):
        wanted.append(
            _reminder(
                Kind.PICK_UP_CLOSING,
                patient=patient,
                recipient=patient.email,
                subject_key=f"prescription:{prescription.pk}",
                day=pick_up_reminder_day(prescription),
                window_closes=prescription.window_closes,
            )
        )
    wanted = for_each_recipient(patient, wanted)
    _replace_open(
        Q(kind=Kind.PICK_UP_CLOSING, subject_key=f"prescription:{prescription.pk}"),
        wanted,
        reason="Cancelled: the pick-up window changed.",
    )


# Courses -----------------------------------------------------------------------------------


def schedule_course_end_reminders(course: TreatmentCourse) -> None:
    """When a course ends: for a patient who can get pregnant, a test reminder 3 days before
    the test one month after the last dose (R14; the last dose is the course's end date),
    unless a positive test during the course stopped it (R18: referred, not re-tested).
    The open monthly-confirmation reminders (active courses only) and the open pick-up
    reminders of the course's prescriptions (no dispensing after the end) are cancelled."""
    patient = course.patient
    ended = course.status in TreatmentCourse.ENDED and course.end_date is not None
    wanted = []
    if (
        ended
        and patient.can_get_pregnant
        and patient.status != Patient.Status.WITHDRAWN
        and not patient.pregnancy_tests.filter(
            result=PregnancyTest.Result.POSITIVE, specimen_date__gte=course.start_date
        ).exists()
    ):
        test_on = one_month_after(course.end_date)
        day = max(test_on - datetime.timedelta(days=DAYS_BEFORE_VISIT), timezone.localdate())
        if test_on >= timezone.localdate():
            wanted.append(
                _reminder(
                    Kind.PREGNANCY_TEST_DUE,
                    patient=patient,
                    recipient=patient.email,
                    subject_key=f"course:{course.pk}",
                    day=day,
                    test_on=test_on,
                    reason="course_end",
                )
            )
    wanted = for_each_recipient(patient, wanted)
    _replace_open(
        Q(kind=Kind.PREGNANCY_TEST_DUE, subject_key=f"course:{course.pk}"),
        wanted,
        reason="Cancelled: the course end changed.",
    )
    if ended:
        prescriptions = [
            f"prescription:{pk}" for pk in course.prescriptions.values_list("pk", flat=True)
        ]
        Reminder.objects.filter(
            Q(patient_id=patient.pk, kind=Kind.MONTHLY_CONFIRMATION)
            | Q(kind=Kind.PICK_UP_CLOSING, subject_key__in=prescriptions),
            status=Status.SCHEDULED,
        ).update(
            status=Status.CANCELLED,
            last_error="Cancelled: the course ended.",
            next_attempt_at=None,
        )


# The month-2 labs (R19) -----------------------------------------------------------------------


def month_two_labs_reminder_day(course: TreatmentCourse) -> datetime.date:
    """The first day labs drawn count as the month-2 labs (day 43, week 7)."""
    return course.start_date + datetime.timedelta(days=MONTH_TWO_LABS_FROM_DAY - 1)


def schedule_month_two_labs_reminder(course: TreatmentCourse) -> None:
    """One reminder to the patient of an active course on day 43, to come in for the month-2
    labs before day 57, when the worklist lists them as due. None once the labs are drawn (the
    course's month_two_labs_on copy, kept as visits are saved), the course has ended or the
    patient withdrew: the open one is cancelled.

    Called when a prescription is written and when a visit is recorded, so a course that got
    past day 43 without one (a course entered late) gets it on the day of that call; but only
    once: a reminder already sent for the course is not written again at every visit.
    """
    # The caller's copy may be stale: the visit just saved updated the course with an UPDATE.
    course = (
        TreatmentCourse.objects.filter(pk=course.pk)
        .select_related("patient")
        .only("pk", "status", "start_date", "month_two_labs_on", "patient")
        .get()
    )
    patient = course.patient
    scope = Q(kind=Kind.MONTH_TWO_LABS, subject_key=f"course:{course.pk}")
    wanted = []
    if (
        course.status == TreatmentCourse.Status.ACTIVE
        and course.month_two_labs_on is None
        and patient.status != Patient.Status.WITHDRAWN
    ):
        day = month_two_labs_reminder_day(course)
        if day < timezone.localdate():
            if Reminder.objects.filter(scope).exclude(status=Status.CANCELLED).exists():
                return  # written (and perhaps sent) already: not again at every visit
            day = timezone.localdate()
        labs_by = course.start_date + datetime.timedelta(days=MONTH_TWO_LABS_DUE_FROM_DAY - 1)
        wanted.append(
            _reminder(
                Kind.MONTH_TWO_LABS,
                patient=patient,
                recipient=patient.email,
                subject_key=f"course:{course.pk}",
                day=day,
                come_by_on=max(labs_by, day),
            )
        )
    wanted = for_each_recipient(patient, wanted)
    _replace_open(scope, wanted, reason="Cancelled: the labs were drawn or the course ended.")


# Pharmacy certifications -------------------------------------------------------------------


def schedule_certification_expiry_reminders(today: datetime.date | None = None) -> int:
    """Nightly: a reminder to every active registry admin for each certified pharmacy whose
    certification ends within 30 days. Bounded: three queries (the certifications in the
    window, the admins, one INSERT), whatever the number of pharmacies.

    The due day is 30 days before the certification ends, so re-running (or catching up after
    a missed night) finds the existing rows instead of writing new ones; a row written late is
    already due and goes out with the next send. A renewal moves the end date and so, 30 days
    before the new end, writes a new reminder. Returns the number of rows offered.
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=CERTIFICATION_NOTICE_DAYS)
    certifications = list(
        PharmacyCertification.objects.filter(
            status=PharmacyCertification.Status.CERTIFIED,
            valid_until__gte=today,
            valid_until__lte=horizon,
        ).select_related("pharmacy")
    )
    if not certifications:
        return 0
    admins = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.REGISTRY_ADMIN.value)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    rows = [
        _reminder(
            Kind.CERTIFICATION_EXPIRING,
            recipient=email,
            subject_key=f"pharmacy:{certification.pharmacy_id}",
            day=certification.valid_until - datetime.timedelta(days=CERTIFICATION_NOTICE_DAYS),
            pharmacy=certification.pharmacy.name,
            certification=certification.number,
            valid_until=certification.valid_until,
        )
        for certification in certifications
        for email in admins
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)
