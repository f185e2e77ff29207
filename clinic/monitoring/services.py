"""Clinic work across records: recording a visit, acknowledging a flag."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.accounts.roles import ACKNOWLEDGING_ROLES, has_role
from clinic.monitoring.flagging import raise_flags
from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from clinic.monitoring.signals import visit_recorded
from dosing import services as dosing
from dosing.course_data import course_figures
from dosing.models import TreatmentCourse
from registry.audit import changed_by
from registry.models import Patient, PregnancyTest


def course_on(patient: Patient, day) -> TreatmentCourse | None:
    """The course in force on `day`: the active one, or one that ended on or after it."""
    courses = patient.courses.filter(start_date__lte=day).order_by("-start_date")
    for course in courses:
        if course.is_active or (course.end_date and course.end_date >= day):
            return course
    return None


def record_pregnancy_test(
    patient: Patient, *, by, specimen_date, result: str, setting: str
) -> tuple[PregnancyTest, list[TreatmentCourse]]:
    """Save a pregnancy test (inside the caller's transaction). A positive one stops the
    patient's planned and active courses at once (R18, dosing.services.stop_for_positive_test)
    and raises the flag after commit. Returns the test and the courses it stopped."""
    test = changed_by(
        PregnancyTest(
            patient=patient,
            recorded_by=by,
            specimen_date=specimen_date,
            result=result,
            setting=setting,
        ),
        by,
    )
    test.save()
    stopped = []
    if result == PregnancyTest.Result.POSITIVE:
        stopped = dosing.stop_for_positive_test(
            patient,
            by=by,
            day=min(specimen_date, timezone.localdate()),
        )
        for course in stopped:
            transaction.on_commit(lambda pk=course.pk: raise_flags(course_id=pk))
    return test, stopped


@dataclass(frozen=True)
class PregnancyTestEntry:
    """A pregnancy test recorded with a visit (R14)."""

    specimen_date: datetime.date
    result: str
    setting: str = PregnancyTest.Setting.MEDICAL


# What staff measure and note at a visit; the rest (who, when, which course) is ours.
VISIT_FINDINGS = (
    "visit_date",
    "weight_kg",
    "nodule_count",
    "side_effects",
    "side_effects_other",
    "phq2_interest",
    "phq2_mood",
    "triglycerides",
    "triglycerides_unit",
    "total_cholesterol",
    "cholesterol_unit",
    "alt",
    "ast",
    "contraception",
    "next_follow_up",
    "notes",
)


def record_visit(
    patient: Patient,
    *,
    by,
    visit_date: datetime.date,
    pregnancy_test: PregnancyTestEntry | None = None,
    **findings,
) -> Visit:
    """Save the visit (`findings`: values of VISIT_FINDINGS, already validated), its pregnancy
    test and its reminders in one transaction; a positive test stops the course at once (R18).
    Flags are raised after commit, for this course, by the same statements as the nightly run;
    a weight at which the running dose is above the ceiling raises its flag at once (R2, R6)."""
    unknown = set(findings) - set(VISIT_FINDINGS)
    if unknown:
        raise TypeError(f"Not a visit finding: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        visit = Visit(
            patient=patient,
            recorded_by=by,
            visit_date=visit_date,
            course=course_on(patient, visit_date),
            **findings,
        )
        if pregnancy_test is not None:
            visit.pregnancy_test, _stopped = record_pregnancy_test(
                patient,
                by=by,
                specimen_date=pregnancy_test.specimen_date,
                result=pregnancy_test.result,
                setting=pregnancy_test.setting,
            )
        changed_by(visit, by).save()
        # Reminders listen (clinic.reminders.receivers): the follow-up's reminders.
        visit_recorded.send(sender=Visit, visit=visit, by=by)
        course = visit.course
        if course is not None:
            course.refresh_from_db()
            flag_dose_above_ceiling(course, by=by)
            transaction.on_commit(lambda: raise_flags(course_id=course.pk))
    return visit


def flag_dose_above_ceiling(course: TreatmentCourse, *, by=None):
    """R2, R6: the running daily dose against the latest weight; an urgent flag when above."""
    reason = running_dose_above_ceiling(course)
    if not reason:
        return None
    weight = course.current_weight_kg
    flag, created = CourseFlag.objects.get_or_create(
        course=course,
        kind=FlagKind.DOSE_ABOVE_CEILING,
        subject_key=f"{weight}",
        defaults={"detail": reason[:300]},
    )
    return flag if created else None


def running_dose_above_ceiling(course: TreatmentCourse) -> str:
    """The reason, when the dose in force is above the ceiling for the latest weight, else ''
    (the same figures the course page and the portal read)."""
    if not course.is_active:
        return ""
    return course_figures(course, weight_kg=course.current_weight_kg).ceiling_reason


def acknowledge_flag(flag: CourseFlag, *, by, action: str, text: str = "") -> CourseFlag:
    if not has_role(by, *ACKNOWLEDGING_ROLES):
        raise ValidationError("Only a prescriber acknowledges flags.")
    if action not in CourseFlag.Action.values:
        raise ValidationError({"action": "Choose the action taken."})
    if action == CourseFlag.Action.OTHER and not text.strip():
        raise ValidationError({"action_text": "Say what was done."})
    with transaction.atomic():
        flag = CourseFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.acknowledged_at is not None:
            raise ValidationError("This flag was already acknowledged.")
        flag.acknowledged_by, flag.acknowledged_at = by, timezone.now()
        flag.action, flag.action_text = action, text.strip()
        changed_by(flag, by).save()
    return flag
