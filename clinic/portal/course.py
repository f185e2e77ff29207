"""What the patient portal shows about a course, built from the same schedule entries the staff
course page uses (dosing.course_data.course_figures), so the two can never disagree.

A fixed number of queries whatever the number of prescriptions, dispenses or visits: the
courses (1), the latest weight (1), prescriptions with their dispenses and pharmacies (2), the
latest visit (1).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.http import Http404

from clinic.monitoring.models import Visit
from clinic.monitoring.weights import latest_weight_kg
from dosing import services as dosing
from dosing.course_data import CourseFigures, course_figures
from dosing.models import Dispense, Prescription, TreatmentCourse
from dosing.schedule import Entry, Kind
from registry.models import Patient

WEEKS = 20


def portal_patient(user) -> Patient:
    """The signed-in patient's own registry record; the portal never shows any other."""
    try:
        return user.patient
    except Patient.DoesNotExist:
        raise Http404("No patient record is linked to this account.") from None


def courses_of(patient: Patient) -> list[TreatmentCourse]:
    return list(patient.courses.order_by("-number"))


def current_course(courses: list[TreatmentCourse]) -> TreatmentCourse | None:
    """The active course, else a planned one, else the most recent."""
    for status in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED):
        for course in courses:
            if course.status == status:
                return course
    return courses[0] if courses else None


def own_course(patient: Patient, pk: int) -> TreatmentCourse:
    """One of the patient's own courses by id; any other id (another patient's) is 404."""
    course = patient.courses.filter(pk=pk).first()
    if course is None:
        raise Http404("No such course.")
    return course


def figures_for(course: TreatmentCourse, today: datetime.date | None = None) -> CourseFigures:
    return course_figures(course, weight_kg=latest_weight_kg(course), today=today)


def booked_visit(patient: Patient, today: datetime.date) -> datetime.date | None:
    """The follow-up planned at the patient's latest visit, if it is today or later."""
    follow_up = (
        Visit.objects.filter(patient_id=patient.pk)
        .order_by("-visit_date", "-pk")
        .values_list("next_follow_up", flat=True)
        .first()
    )
    return follow_up if follow_up and follow_up >= today else None


# The start page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextVisit:
    date: datetime.date
    booked: bool  # planned at the last visit (else: from the monthly schedule)


@dataclass(frozen=True)
class PickUp:
    prescription: Prescription
    dispense: Dispense | None
    today: datetime.date
    may_collect: bool = True  # the one decision (rules.decide) would let a pharmacy dispense it

    @property
    def opens(self) -> datetime.date:
        return self.prescription.window_opens

    @property
    def closes(self) -> datetime.date:
        return self.prescription.window_closes

    @property
    def state(self) -> str:
        if self.dispense is not None:
            return "collected"
        if self.today < self.opens:
            return "upcoming"
        if self.today > self.closes:
            return "closed"
        return "open" if self.may_collect else "held"

    @property
    def days_left(self) -> int:
        return (self.closes - self.today).days + 1


@dataclass
class StartPage:
    course: TreatmentCourse
    figures: CourseFigures
    today: datetime.date
    today_doses: list[Entry]
    next_visit: NextVisit | None
    overdue_follow_up: datetime.date | None
    next_test: datetime.date | None
    pick_up: PickUp | None
    coming: list[Entry] = field(default_factory=list)
    # R18: stopped for a positive pregnancy test; the page says stop and call the clinic.
    stopped_for_pregnancy: bool = False
    # R2, R6: the dose in force is above the ceiling for the latest weight; no dose is shown.
    dose_needs_check: bool = False

    @property
    def week_number(self) -> int:
        return self.figures.week_number


def start_page(course: TreatmentCourse, today: datetime.date) -> StartPage:
    figures = figures_for(course, today)
    entries = figures.entries
    patient = course.patient
    latest = (
        Visit.objects.filter(patient_id=patient.pk)
        .order_by("-visit_date", "-pk")
        .only("visit_date", "next_follow_up")
        .first()
    )
    next_visit, overdue = None, None
    running = course.status in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED)
    if latest is not None and latest.next_follow_up and running:
        if latest.next_follow_up >= today:
            next_visit = NextVisit(latest.next_follow_up, booked=True)
        else:
            overdue = latest.next_follow_up
    if next_visit is None and running:
        planned = next((e for e in entries if e.kind == Kind.VISIT and e.date >= today), None)
        if planned is not None:
            next_visit = NextVisit(planned.date, booked=False)
    next_test = None
    if patient.can_get_pregnant:
        planned_test = next(
            (e.date for e in entries if e.kind == Kind.PREGNANCY_TEST and e.date >= today), None
        )
        # Before each prescription: at (or just before) the next visit; after the course, the
        # schedule's test one month after the last dose.
        at_visit = next_visit is not None and course.is_active
        next_test = next_visit.date if at_visit else planned_test
    # The newest prescription still standing (a voided one that was never handed out is gone);
    # none once the course has ended. "Ready to collect" only when the one decision agrees.
    standing = [rx for rx in figures.prescriptions if rx.voided_at is None or rx.live_dispense()]
    pick_up = None
    if standing and (running or standing[-1].live_dispense()):
        current = standing[-1]  # ordered by prescribed_on, pk
        dispense = current.live_dispense()
        may_collect = dispense is None and dosing.dispense_decision(current, on=today).allowed
        pick_up = PickUp(current, dispense, today, may_collect)
    dose_needs_check = bool(figures.ceiling_reason)
    horizon = today + datetime.timedelta(days=13)
    coming = [
        e for e in entries if e.kind not in (Kind.DOSE, Kind.START) and today <= e.date <= horizon
    ]
    return StartPage(
        course=course,
        figures=figures,
        today=today,
        today_doses=[]
        if dose_needs_check
        else [e for e in entries if e.kind == Kind.DOSE and e.date == today],
        next_visit=next_visit,
        overdue_follow_up=overdue,
        next_test=next_test,
        pick_up=pick_up,
        coming=coming,
        stopped_for_pregnancy=course.end_reason == dosing.R18_REASON,
        dose_needs_check=dose_needs_check,
    )


# The whole schedule, week by week ------------------------------------------------------------


@dataclass(frozen=True)
class DoseSpan:
    """Consecutive days with the same doses: (time of day, mg, capsules) for each dose."""

    first: datetime.date
    last: datetime.date
    doses: tuple[tuple[str, int, str], ...]

    @property
    def data(self) -> str:
        """For the page's data-doses attribute: 'morning:30:1 × 30 mg|evening:30:1 × 30 mg'."""
        return "|".join(f"{time}:{mg}:{capsules}" for time, mg, capsules in self.doses)


def dose_spans(entries: list[Entry]) -> list[DoseSpan]:
    per_day: dict[datetime.date, list[tuple[str, int, str]]] = {}
    for entry in entries:
        if entry.kind == Kind.DOSE:
            per_day.setdefault(entry.date, []).append((entry.time_of_day, entry.mg, entry.capsules))
    spans: list[DoseSpan] = []
    for day in sorted(per_day):
        doses = tuple(per_day[day])
        if spans and spans[-1].doses == doses and spans[-1].last + datetime.timedelta(1) == day:
            spans[-1] = DoseSpan(spans[-1].first, day, doses)
        else:
            spans.append(DoseSpan(day, day, doses))
    return spans


@dataclass
class Week:
    number: int
    first: datetime.date
    last: datetime.date
    entries: list[Entry]  # the entries that start in this week, in schedule order
    is_current: bool
    after_end: bool  # the course ended before this week

    @property
    def dose_spans(self) -> list[DoseSpan]:
        return dose_spans(self.entries)

    @property
    def events(self) -> list[Entry]:
        return [e for e in self.entries if e.kind != Kind.DOSE]


@dataclass
class WeekView:
    before: list[Entry]  # entries before the first day (a pick-up window opening early)
    weeks: list[Week]
    after: list[Entry]  # after the 20 weeks (the test one month after the last dose)
    today: datetime.date
    today_doses: list[Entry]

    def all_entries(self) -> list[Entry]:
        return self.before + [e for week in self.weeks for e in week.entries] + self.after


def week_view(course: TreatmentCourse, figures: CourseFigures) -> WeekView:
    """All 20 weeks: week n is days 7(n-1)+1 to 7n of the course (rules.week_of_course)."""
    start, today = course.start_date, figures.today
    weeks = [
        Week(
            number=n,
            first=start + datetime.timedelta(days=7 * (n - 1)),
            last=start + datetime.timedelta(days=7 * n - 1),
            entries=[],
            is_current=False,
            after_end=bool(
                course.end_date and course.end_date < start + datetime.timedelta(days=7 * (n - 1))
            ),
        )
        for n in range(1, WEEKS + 1)
    ]
    for week in weeks:
        week.is_current = week.first <= today <= week.last
    before, after = [], []
    for entry in figures.entries:
        index = (entry.date - start).days // 7
        if index < 0:
            before.append(entry)
        elif index >= WEEKS:
            after.append(entry)
        else:
            weeks[index].entries.append(entry)
    today_doses = [e for e in figures.entries if e.kind == Kind.DOSE and e.date == today]
    return WeekView(before, weeks, after, today, today_doses)
