"""Clinic work across records: recording a visit, acknowledging a flag."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.accounts.roles import Role, has_role
from clinic.monitoring.flagging import raise_flags
from clinic.monitoring.models import CourseFlag, FlagKind, Visit
from clinic.monitoring.signals import visit_recorded
from dosing import services as dosing
from dosing.course_data import course_figures
from dosing.models import TreatmentCourse
from registry.audit import changed_by
from registry.models import Patient, PregnancyTest

R18_REASON = dosing.R18_REASON


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


def record_visit(patient: Patient, form, *, by) -> Visit:
    """Save the visit, its pregnancy test and its reminders in one transaction; a positive
    test stops the course at once (R18). Flags are raised after commit, for this course, by
    the same statements as the nightly run; a weight at which the running dose is above the
    ceiling raises its flag at once (R2, R6)."""
    with transaction.atomic():
        visit = form.save(commit=False)
        visit.patient = patient
        visit.recorded_by = by
        visit.course = course_on(patient, visit.visit_date)
        test_data = form.pregnancy_test_data if hasattr(form, "pregnancy_test_data") else None
        if test_data:
            visit.pregnancy_test, _stopped = record_pregnancy_test(patient, by=by, **test_data)
        changed_by(visit, by).save()
        course = visit.course
        visit_recorded.send(sender=Visit, visit=visit, by=by)
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
    if not has_role(by, Role.PRESCRIBER):
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
        flag._history_user = by
        flag.save()
    return flag
