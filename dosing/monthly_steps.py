"""The monthly steps of the registry (iPLEDGE, R13 to R16): for a course in treatment and a
month, whether each of the five steps is done, not needed or missing, and the day it was done.

| step | needed for | done when, within the month |
|---|---|---|
| pregnancy test | can get pregnant (R14) | a negative test's specimen was collected |
| patient confirmation | can get pregnant (R16) | the patient passed the portal's confirmation |
| counselling | every patient | the prescriber confirmed it (CounsellingConfirmation) |
| prescription | every patient (R13) | a prescription of the course was written, not voided |
| pick-up | every patient (R17) | a dispense of the course was authorized, not reversed |

A month is a calendar month in the clinic's time zone (settings.TIME_ZONE), from its first day
to its last: the national portal is keyed a month at a time, so the clinic's report must cut
the months where a person at the clinic would. `Month` is the one definition; the page, the
worklist and the CSV all read the steps through `with_steps`, so they cannot disagree.

`steps_of` is the pure decision (no database); `with_steps` adds each step's latest day in the
month to a queryset of courses as one subquery each, so a list of courses costs one query
whatever its length.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import formats, timezone

from dosing.models import CounsellingConfirmation, Dispense, Prescription, TreatmentCourse
from dosing.text import Text as _
from registry.models import MonthlyConfirmation, Patient, PregnancyTest

# ASCII digits only: \d would also take other scripts' digits ("２０２６-１２").
MONTH_FORMAT = re.compile(r"([0-9]{4})-([0-9]{2})")
MONTH_HELP = _("Give the month as year and month, for example 2026-12.")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in the clinic's time zone."""

    year: int
    month: int

    def __post_init__(self):
        if not 1 <= self.month <= 12 or not 2000 <= self.year <= 9998:
            raise ValueError(MONTH_HELP)

    @classmethod
    def of(cls, day: datetime.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def current(cls) -> Month:
        """This month where the clinic is (not where the server's clock says)."""
        return cls.of(timezone.localdate())

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read "2026-12" and nothing else (no day, no spaces, no other spelling): ValueError."""
        match = MONTH_FORMAT.fullmatch(text or "")
        if match is None:
            raise ValueError(MONTH_HELP)
        return cls(int(match[1]), int(match[2]))

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last(self) -> datetime.date:
        return datetime.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def starts_at(self) -> datetime.datetime:
        """Midnight at the start of the first day, in the clinic's time zone."""
        return timezone.make_aware(datetime.datetime.combine(self.first, datetime.time()))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        # "December 2026", or the month as the active language writes it ("diciembre de 2026").
        return formats.date_format(self.first, "YEAR_MONTH_FORMAT")


class State(StrEnum):
    DONE = "done"
    MISSING = "missing"
    NOT_NEEDED = "not needed"


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: State
    on: datetime.date | None  # the day it was done (the latest in the month)

    @property
    def missing(self) -> bool:
        return self.state is State.MISSING


# Labels are Text: English in the CSV export, said in the reader's language on pages
# (dosing.wording).
STEPS = (
    ("test", _("Pregnancy test")),
    ("confirmation", _("Patient confirmation")),
    ("counselling", _("Counselling")),
    ("prescription", _("Prescription")),
    ("pickup", _("Pick-up")),
)
# Only a patient who can get pregnant needs these (R14, R16).
PREGNANCY_STEPS = frozenset({"test", "confirmation"})


def steps_of(*, can_get_pregnant: bool, done_on: dict[str, datetime.date | None]) -> list[Step]:
    """The five steps in order, from the day each was done in the month (None: not done)."""
    steps = []
    for key, label in STEPS:
        if key in PREGNANCY_STEPS and not can_get_pregnant:
            steps.append(Step(key, label, State.NOT_NEEDED, None))
            continue
        on = done_on.get(key)
        steps.append(Step(key, label, State.DONE if on else State.MISSING, on))
    return steps


def steps_of_course(course: TreatmentCourse) -> list[Step]:
    """The steps of a course read by `with_steps` (its annotations and its patient)."""
    done_on = {key: getattr(course, f"{key}_on") for key, _label in STEPS}
    for key in ("counselling", "pickup"):  # moments, shown as the clinic's day
        if done_on[key] is not None:
            done_on[key] = timezone.localdate(done_on[key])
    return steps_of(can_get_pregnant=course.patient.can_get_pregnant, done_on=done_on)


def _latest(queryset: QuerySet, field: str) -> Subquery:
    return Subquery(queryset.order_by(f"-{field}").values(field)[:1])


def _done_in(month: Month) -> dict[str, QuerySet]:
    """Each step's records of `month` (the same filters for the card, the worklist and the
    CSV), by the field that ties them to a course or its patient."""
    first, last = month.first, month.last
    return {
        "test": PregnancyTest.objects.negative().filter(
            specimen_date__gte=first, specimen_date__lte=last
        ),
        "confirmation": MonthlyConfirmation.objects.filter(
            passed=True, confirmed_on__gte=first, confirmed_on__lte=last
        ),
        "counselling": CounsellingConfirmation.objects.filter(month=first),
        "prescription": Prescription.objects.not_voided().filter(
            prescribed_on__gte=first, prescribed_on__lte=last
        ),
        "pickup": Dispense.objects.live().filter(
            authorized_at__gte=month.starts_at, authorized_at__lt=month.next.starts_at
        ),
    }


def with_steps(courses: QuerySet, month: Month) -> QuerySet:
    """`courses` with test_on, confirmation_on, counselling_on, prescription_on (days) and
    pickup_on (a moment) of `month`: the latest of each, else None. Each is one subquery
    through an index on (patient or course, day), in the same query as the courses."""
    done = _done_in(month)
    patient, course = OuterRef("patient_id"), OuterRef("pk")
    return courses.select_related("patient").annotate(
        test_on=_latest(done["test"].filter(patient_id=patient), "specimen_date"),
        confirmation_on=_latest(done["confirmation"].filter(patient_id=patient), "confirmed_on"),
        counselling_on=_latest(done["counselling"].filter(course_id=course), "confirmed_at"),
        prescription_on=_latest(done["prescription"].filter(course_id=course), "prescribed_on"),
        pickup_on=_latest(done["pickup"].filter(prescription__course_id=course), "authorized_at"),
    )


def any_step_missing(month: Month) -> Q:
    """The courses with at least one needed step of `month` not done.

    Written with each step's records as one set (course or patient ids of the month), not as
    the per-course subqueries of with_steps: the database reads each set once and looks the
    courses up in it, so counting the worklist's section stays quick when most courses are
    complete (the per-course form took 788 ms at 100,000 patients, 46,000 active courses)."""
    done = _done_in(month)
    not_at_risk = Patient.objects.exclude(
        risk_category=Patient.RiskCategory.CAN_GET_PREGNANT
    ).values("pk")
    complete = (
        Q(pk__in=done["counselling"].values("course_id"))
        & Q(pk__in=done["prescription"].values("course_id"))
        & Q(pk__in=done["pickup"].values("prescription__course_id"))
        & (
            # The patients' risk category as a set too: a join with every patient would make
            # the database sort all the courses instead of reading them in the section's order.
            Q(patient_id__in=not_at_risk)
            | (
                Q(patient_id__in=done["test"].values("patient_id"))
                & Q(patient_id__in=done["confirmation"].values("patient_id"))
            )
        )
    )
    return ~complete


def in_treatment_during(month: Month) -> QuerySet:
    """Courses in treatment on at least one day of `month`: started by its last day, not
    planned, and not ended before its first day."""
    return TreatmentCourse.objects.exclude(status=TreatmentCourse.Status.PLANNED).filter(
        Q(end_date=None) | Q(end_date__gte=month.first), start_date__lte=month.last
    )


def course_steps(course: TreatmentCourse, month: Month) -> list[Step]:
    """One course's steps in `month`: one query."""
    return steps_of_course(with_steps(TreatmentCourse.objects.filter(pk=course.pk), month).get())
