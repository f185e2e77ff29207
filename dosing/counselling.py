"""The prescriber's monthly counselling confirmation (iPLEDGE; docs/CLINICAL_RULES.md, "The
monthly steps"): one per course and calendar month, by a prescriber, for a course in
treatment. Refusals are recorded as RefusedAction rows, as the other dosing services do."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from clinic.accounts.roles import Role, has_role
from dosing.models import CounsellingConfirmation, RefusedAction, TreatmentCourse
from dosing.monthly_steps import Month
from dosing.rules import COURSE_STATES
from dosing.services import Refused, record_refusal
from dosing.text import MonthYear
from dosing.text import Text as _
from registry.audit import changed_by


def _in_sentence(month: Month) -> MonthYear:
    """The month as a sentence says it ("December 2026", as Month.label, in any language)."""
    return MonthYear(month.year, month.month, 1)


def _already(row: CounsellingConfirmation) -> str:
    who = row.confirmed_by.get_full_name() or row.confirmed_by.get_username()
    return _(
        "Counselling for %(month)s was already confirmed by %(who)s on %(day)s.",
        month=_in_sentence(Month.of(row.month)),
        who=who,
        day=row.confirmed_at.date(),
    )


def confirm_counselling(course: TreatmentCourse, *, month: Month, by) -> CounsellingConfirmation:
    """Record that `by` counselled the patient of `course` for `month`, or refuse.

    Refused (and recorded): someone who is not a prescriber; a course not in treatment
    (planned or ended); a month that has not started, or one before the course started.
    A second confirmation of the same month is refused without a record: nothing unsafe was
    tried, the month is simply done (a double click, two tabs).
    """
    reasons = []
    if not has_role(by, Role.PRESCRIBER):
        reasons.append(_("Only a prescriber can confirm the monthly counselling."))
    if course.status != TreatmentCourse.Status.ACTIVE:
        state = COURSE_STATES.get(course.status, course.get_status_display().lower())
        reasons.append(
            _(
                "This course is not in treatment (%(state)s): counselling is confirmed for a "
                "course in treatment.",
                state=state,
            )
        )
    if month > Month.current():
        reasons.append(
            _(
                "%(month)s has not started: counselling is confirmed for this month or an "
                "earlier one.",
                month=_in_sentence(month),
            )
        )
    elif month < Month.of(course.start_date):
        reasons.append(
            _(
                "The course started in %(started)s; %(month)s is before it.",
                started=_in_sentence(Month.of(course.start_date)),
                month=_in_sentence(month),
            )
        )
    if reasons:
        record_refusal(
            RefusedAction.Kind.COUNSELLING,
            reasons,
            by=by,
            patient=course.patient,
            course=course,
            details={"month": str(month)},
        )
        raise Refused(reasons)
    existing = (
        CounsellingConfirmation.objects.filter(course=course, month=month.first)
        .select_related("confirmed_by")
        .first()
    )
    if existing is not None:
        raise Refused([_already(existing)])
    row = changed_by(CounsellingConfirmation(course=course, month=month.first, confirmed_by=by), by)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # two confirmations at once: the unique constraint decides
        existing = CounsellingConfirmation.objects.select_related("confirmed_by").get(
            course=course, month=month.first
        )
        raise Refused([_already(existing)]) from None
    return row
