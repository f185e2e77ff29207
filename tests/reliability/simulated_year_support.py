"""The simulated year's patients: who starts when, what the clinic does on which day, and what
must follow from the rules (the reminders and flags), worked out here without the app's code.

Every course follows one plan (day 1 = the start date; an offset is days after it):

- enrolment, the course start and the baseline visit at 10:00 on the start day; follow-up visits
  at offsets 28, 56, 84 and 112, and a last visit at offset 139 (day 140, the 20-week limit,
  R8), each visit planning the next; the last plans a review 28 days later;
- nodules: 20 at baseline, falling to 7 by day 140 (never more than 70%); or, in the courses with
  a fall, 5 (a 75% fall, R9) at the visit of offset 56, 84 or 112 and fewer after. At that
  visit the prescriber either stops the course (stopped early) or goes on to day 140;
- a patient who cannot get pregnant gets a 30-day prescription at the visits of offsets 0, 28
  and 56 (never picked up: the pick-up reminder goes out); the course ends at its last visit.

The rules the expected reminders come from (clinic/reminders/schedule.py states them; the
numbers here are this file's own): every reminder is due at 08:00 clinic time on its day; a
follow-up visit on day F gives a visit reminder on F - 3 and on F, and, for a patient who can
get pregnant, a pregnancy test reminder and a monthly confirmation reminder on F - 3 (the
confirmation only while the course runs: the course's end cancels the one still to come); a
prescription gives a pick-up reminder 2 days before its 30-day window closes; a course that
ends gives a patient who can get pregnant a test reminder 3 days before the test one month
after the last dose; a course still running on day 43 without labs drawn from that day gives
the month-2 labs reminder on day 43. A patient with no consent to reminders, or who chose text
messages, gets no email: those rows end skipped. Flags: week 18 (offset 119) and day 140
(offset 139) at the nightly run of that day, for a course still running; the 70% fall at the
visit that finds it.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime

from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.monitoring.labs import baseline_labs_of
from clinic.monitoring.models import CourseFlag, FlagKind
from clinic.monitoring.services import record_visit
from clinic.reminders.models import Reminder
from dosing import services as dosing
from dosing.models import TreatmentCourse
from registry import services as registry
from registry.models import Patient
from tests.factories import UserFactory

Kind = Reminder.Kind
DAY = datetime.timedelta(days=1)
VISITS = (0, 28, 56, 84, 112)
LAST_VISIT = 139  # day 140: the 20-week limit
WEEK_18 = 119  # day 120
FALL_VISITS = (56, 84, 112)
PRESCRIBING_VISITS = (0, 28, 56)
# A 30-day pick-up window opens on the visit day (offset 0) and closes at offset 29; its
# reminder is 2 days before.
PICK_UP_REMINDER = 27
MONTH_TWO_LABS_REMINDER = 42  # day 43: the month-2 labs (R19) count from it
REVIEW_AFTER = 28  # the last visit plans a review this many days later
NODULES = (20, 17, 14, 11, 9, 7)  # at VISITS + LAST_VISIT: never a 70% fall
FALLEN = 5  # 25% of 20: a fall of more than 70%
CLINIC_HOUR = 10  # the clinic's work (enrolment, visits, prescriptions) happens at 10:00
SEND_HOUR, NIGHTLY_HOUR = 8, 2
# Start offsets that put a course's events on a daylight-saving change: the start, reminders
# (25, 28, 136, 164), a 70% fall at a visit (56, 112), week 18 (119), day 140 (139).
SPRING_KEYS = (0, 25, 28, 56, 119, 139, 164)
AUTUMN_KEYS = (112, 119, 136, 139, 164)


def zone():
    return timezone.get_default_timezone()


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone())


def daylight_saving_changes(year: int) -> list[datetime.date]:
    """The days the clinic's clocks change in `year` (the offset at noon differs from the day
    before's)."""
    days = [
        datetime.date(year, 1, 1) + DAY * n for n in range(366 if calendar.isleap(year) else 365)
    ]
    return [d for d in days[1:] if local(d, 12).utcoffset() != local(d - DAY, 12).utcoffset()]


def month_after(day: datetime.date) -> datetime.date:
    """The same day one month later, or that month's last day (31 Jan -> 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class VisitPlan:
    offset: int
    nodules: int
    follow_up: int  # offset of the next planned visit
    prescribe: bool
    ends: str | None  # the course's end status, at the last visit


@dataclass(frozen=True)
class Plan:
    number: int
    start: datetime.date
    can_get_pregnant: bool
    channel: str  # "email", "sms" (no SMS gateway: skipped) or "none" (no consent)
    fall_at: int | None = None
    stops_at_fall: bool = False

    @property
    def email(self) -> str:
        return f"simulated-{self.number:04d}@example.org"

    def day(self, offset: int) -> datetime.date:
        return self.start + DAY * offset

    def visits(self) -> list[VisitPlan]:
        offsets = [*VISITS, LAST_VISIT]
        if self.stops_at_fall:
            offsets = offsets[: offsets.index(self.fall_at) + 1]
        fall = offsets.index(self.fall_at) if self.fall_at is not None else len(offsets)
        ends = (
            TreatmentCourse.Status.STOPPED_EARLY
            if self.stops_at_fall
            else TreatmentCourse.Status.STOPPED_20_WEEKS
        )
        plans = []
        for i, offset in enumerate(offsets):
            last = i == len(offsets) - 1
            plans.append(
                VisitPlan(
                    offset=offset,
                    nodules=FALLEN - (i - fall) if i >= fall else NODULES[i],
                    follow_up=offset + REVIEW_AFTER if last else offsets[i + 1],
                    prescribe=not (self.can_get_pregnant or last) and offset in PRESCRIBING_VISITS,
                    ends=ends if last else None,
                )
            )
        return plans

    def end_day(self) -> datetime.date:
        return self.day(self.visits()[-1].offset)

    def expected_reminders(self) -> list[tuple]:
        """(kind, what it is about, day) of every reminder this course must give."""
        rows = []
        visits = self.visits()
        for visit in visits:
            follow_up = self.day(visit.follow_up)
            before = follow_up - 3 * DAY
            rows += [
                (Kind.FOLLOW_UP_VISIT, "visit", before),
                (Kind.FOLLOW_UP_VISIT, "visit", follow_up),
            ]
            if self.can_get_pregnant:
                rows.append((Kind.PREGNANCY_TEST_DUE, "visit", before))
                if visit.ends is None:  # the end cancels the confirmation still to come
                    rows.append((Kind.MONTHLY_CONFIRMATION, "visit", before))
            if visit.prescribe:
                pick_up = self.day(visit.offset + PICK_UP_REMINDER)
                rows.append((Kind.PICK_UP_CLOSING, "prescription", pick_up))
        if self.can_get_pregnant:
            rows.append((Kind.PREGNANCY_TEST_DUE, "course", month_after(self.end_day()) - 3 * DAY))
        if self.end_day() > self.day(MONTH_TWO_LABS_REMINDER):  # no labs from day 43 are drawn
            rows.append((Kind.MONTH_TWO_LABS, "course", self.day(MONTH_TWO_LABS_REMINDER)))
        return rows

    def expected_flags(self) -> list[tuple]:
        """(kind, day, local hour) of every flag this course must raise."""
        flags = []
        if self.fall_at is not None:
            flags.append((FlagKind.NODULES_DOWN_70, self.day(self.fall_at), CLINIC_HOUR))
        if not self.stops_at_fall:
            flags.append((FlagKind.APPROACHING_20_WEEKS, self.day(WEEK_18), NIGHTLY_HOUR))
            flags.append((FlagKind.REACHED_20_WEEKS, self.day(LAST_VISIT), NIGHTLY_HOUR))
        return flags

    def last_day(self) -> datetime.date:
        """The last day on which this course must give a reminder."""
        return max(day for _kind, _about, day in self.expected_reminders())


def make_plans(count: int, year: int) -> list[Plan]:
    """`count` courses: first those that put events on the daylight-saving changes of `year`
    (and the days either side), then starts spread evenly between the earliest and latest."""
    spring, autumn = daylight_saving_changes(year)
    keys = [
        (change - DAY * key + DAY * shift, key)
        for shift in (0, -1, 1)
        for change, offsets in ((spring, SPRING_KEYS), (autumn, AUTUMN_KEYS))
        for key in offsets
    ]
    if count < len(keys):
        raise ValueError(f"the simulated year needs at least {len(keys)} courses, not {count}")
    plans = []
    for n, (start, key) in enumerate(keys):
        if key in FALL_VISITS:  # the 70% fall on the day; the course stops or goes on
            fall_at, stops = key, n % 2 == 0
        elif key in (0, 25, 28):  # early events: any outcome
            fall_at, stops = _outcome(n)
        else:  # events from week 18 on: the course runs to day 140, with a fall or without
            fall_at, stops = (FALL_VISITS[0] if n % 2 else None), False
        plans.append(Plan(n, start, _can_get_pregnant(n), "email", fall_at, stops))
    first, last = min(s for s, _k in keys), max(s for s, _k in keys)
    spread = count - len(plans)
    for i in range(spread):
        n = len(plans)
        start = first + DAY * round(i * (last - first).days / max(spread - 1, 1))
        channel = {7: "sms", 9: "none"}.get(n % 10, "email")
        plans.append(Plan(n, start, _can_get_pregnant(n), channel, *_outcome(n)))
    return plans


def _can_get_pregnant(n: int) -> bool:
    """Two patients in three: n % 3, so each outcome below (n % 4) meets both groups."""
    return n % 3 != 1


def _outcome(n: int) -> tuple[int | None, bool]:
    """Runs to day 140 (half), or falls 70% at one of the fall visits and stops or goes on."""
    kind, visit = n % 4, FALL_VISITS[(n // 4) % len(FALL_VISITS)]
    return {0: (None, False), 1: (visit, False), 2: (visit, True), 3: (None, False)}[kind]


# The clinic's work, through the services the pages use --------------------------------------


class Clinic:
    """Enrols, starts courses, records visits, prescribes and ends courses on their days."""

    def __init__(self, plans: list[Plan]):
        self.prescriber = UserFactory(username="simulated.prescriber", roles=[Role.PRESCRIBER])
        self.agenda: dict[datetime.date, list[tuple[Plan, VisitPlan]]] = {}
        for plan in plans:
            for visit in plan.visits():
                self.agenda.setdefault(plan.day(visit.offset), []).append((plan, visit))
        self.work_times = sorted(local(day, CLINIC_HOUR) for day in self.agenda)
        self.patients: dict[int, Patient] = {}
        self.courses: dict[int, TreatmentCourse] = {}
        self.actions = 0

    def next_work(self, after: datetime.datetime) -> datetime.datetime | None:
        """The next time the clinic has work, after `after`."""
        i = bisect.bisect_right(self.work_times, after)
        return self.work_times[i] if i < len(self.work_times) else None

    def work(self, now: datetime.datetime) -> None:
        """The day's work, if `now` is the clinic's hour of a day with visits."""
        now = now.astimezone(zone())
        if (now.hour, now.minute) != (CLINIC_HOUR, 0):
            return
        for plan, visit in self.agenda.get(now.date(), ()):
            self._visit(plan, visit, now.date())

    def _visit(self, plan: Plan, visit: VisitPlan, today: datetime.date) -> None:
        by = self.prescriber
        if visit.offset == 0:
            patient = registry.enrol_patient(
                by=by,
                first_name="Sam",
                last_name=f"Simulated {plan.number}",
                date_of_birth=datetime.date(1999, 1, 1),
                sex=Patient.Sex.FEMALE if plan.can_get_pregnant else Patient.Sex.MALE,
                email=plan.email,
                prescriber=by,
                risk_category=(
                    Patient.RiskCategory.CAN_GET_PREGNANT
                    if plan.can_get_pregnant
                    else Patient.RiskCategory.CANNOT_GET_PREGNANT
                ),
                consent_treatment_on=today,
                reminder_consent=plan.channel != "none",
                reminder_channel=Patient.ReminderChannel.SMS
                if plan.channel == "sms"
                else Patient.ReminderChannel.EMAIL,
            )
            self.patients[plan.number] = patient
            self.courses[plan.number] = dosing.start_course(
                patient,
                by=by,
                start_date=today,
                baseline_weight_kg=Decimal(70),
                baseline_nodule_count=NODULES[0],
                formulation="conventional",
            )
            self.actions += 2
        patient, course = self.patients[plan.number], self.courses[plan.number]
        # Baseline fasting lipids and liver tests (R19, before the first prescription).
        labs = (
            {"triglycerides": Decimal(120), "total_cholesterol": Decimal(180), "alt": 25, "ast": 22}
            if visit.offset == 0
            else {}
        )
        record_visit(
            patient,
            by=by,
            visit_date=today,
            weight_kg=Decimal(70),
            nodule_count=visit.nodules,
            phq2_interest=0,
            phq2_mood=0,
            next_follow_up=plan.day(visit.follow_up),
            **labs,
        )
        self.actions += 1
        if visit.prescribe:
            dosing.prescribe(
                course,
                by=by,
                prescribed_on=today,
                weight_kg=Decimal(70),
                mg_per_dose=30,
                doses_per_day=2,
                days_supply=30,
                baseline_labs=baseline_labs_of(patient),  # what the prescribing page passes
            )
            self.actions += 1
        if visit.ends:
            dosing.end_course(
                course, by=by, status=visit.ends, reason="Planned end.", end_date=today
            )
            self.actions += 1


# What happened, against what the rules say ---------------------------------------------------

MESSAGE_ID = re.compile(r"<reminder-(\d+)@")


@dataclass
class ReminderReport:
    expected: int
    on_time: int  # expected reminders sent once, at 08:00 local on their day
    missing: list
    doubled: list
    unexpected: list
    off_hour: list
    wrong_day: list
    not_skipped: list
    latest_minute: int


def compare_reminders(plans: list[Plan], messages) -> ReminderReport:
    expected = Counter(
        (plan.email, kind, about, day)
        for plan in plans
        if plan.channel == "email"
        for kind, about, day in plan.expected_reminders()
    )
    rows = {row.pk: row for row in Reminder.objects.all()}
    received = Counter(int(MESSAGE_ID.search(m["Message-ID"]).group(1)) for m in messages)
    doubled = [(rows[pk].recipient, rows[pk].kind, n) for pk, n in received.items() if n > 1]
    sent = Counter()
    off_hour, wrong_day, good = [], [], Counter()
    latest_minute = 0
    for message in messages:
        row = rows[int(MESSAGE_ID.search(message["Message-ID"]).group(1))]
        key = (row.recipient, row.kind, row.subject_key.partition(":")[0], row.due_date)
        sent[key] += 1
        # The Date header: the clock when the worker built the message ("-0000" is UTC).
        at = parsedate_to_datetime(message["Date"])
        at = (at if at.tzinfo else at.replace(tzinfo=datetime.UTC)).astimezone(zone())
        stored = timezone.localtime(row.sent_at, zone()) if row.sent_at else None
        if at.hour == SEND_HOUR:
            latest_minute = max(latest_minute, at.minute)
        wrong = []
        if at.hour != SEND_HOUR or stored is None or stored.hour != SEND_HOUR:
            off_hour.append((*key, at, stored))
            wrong.append("hour")
        if at.date() != row.due_date or stored is None or stored.date() != row.due_date:
            wrong_day.append((*key, at, stored))
            wrong.append("day")
        if not wrong and received[row.pk] == 1:
            good[key] += 1
    on_time = sum(min(n, good[key]) for key, n in expected.items())
    # Patients without consent or on SMS: every row of theirs is skipped, none sent.
    quiet = {plan.email for plan in plans if plan.channel != "email"}
    not_skipped = [
        (row.recipient, row.kind, row.status)
        for row in rows.values()
        if row.recipient in quiet and row.status not in ("skipped", "cancelled")
    ]
    return ReminderReport(
        expected=sum(expected.values()),
        on_time=on_time,
        missing=sorted((expected - sent).elements()),
        doubled=doubled,
        unexpected=sorted((sent - expected).elements()),
        off_hour=off_hour,
        wrong_day=wrong_day,
        not_skipped=not_skipped,
        latest_minute=latest_minute,
    )


def compare_flags(plans: list[Plan]) -> tuple[int, int, list, list]:
    """(expected, raised on their day and hour, missing, unexpected or doubled)."""
    expected = Counter(
        (plan.email, kind, day, hour) for plan in plans for kind, day, hour in plan.expected_flags()
    )
    raised = Counter()
    for flag in CourseFlag.objects.select_related("course__patient"):
        at = timezone.localtime(flag.raised_at, zone())
        raised[(flag.course.patient.email, flag.kind, at.date(), at.hour)] += 1
    on_time = sum(min(n, raised[key]) for key, n in expected.items())
    return (
        sum(expected.values()),
        on_time,
        sorted((expected - raised).elements()),
        sorted((raised - expected).elements()),
    )


def rows_not_at_eight() -> list:
    """Reminder rows whose due time is not 08:00 clinic time on their due day."""
    bad = []
    for row in Reminder.objects.only("pk", "kind", "recipient", "due_at", "due_date"):
        at = timezone.localtime(row.due_at, zone())
        if (at.date(), at.hour, at.minute) != (row.due_date, SEND_HOUR, 0):
            bad.append((row.recipient, row.kind, row.due_date, at))
    return bad
