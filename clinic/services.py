"""Clinic work across records: recording a visit, acknowledging a flag."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.flagging import raise_flags
from clinic.models import CourseFlag, Visit
from clinic.reminders import schedule_course_end_reminders, schedule_visit_reminders
from dosing import services as dosing
from dosing.models import TreatmentCourse
from registry.models import Patient, PregnancyTest
from registry.roles import Role, has_role

R18_REASON = "Positive pregnancy test: stopped at once and referred (R18)."


def course_on(patient: Patient, day) -> TreatmentCourse | None:
    """The course in force on `day`: the active one, or one that ended on or after it."""
    courses = patient.courses.filter(start_date__lte=day).order_by("-start_date")
    for course in courses:
        if course.is_active or (course.end_date and course.end_date >= day):
            return course
    return None


def record_visit(patient: Patient, form, *, by) -> Visit:
    """Save the visit, its pregnancy test and its reminders in one transaction; a positive
    test stops the course at once (R18). Flags are raised after commit, for this course, by
    the same statements as the nightly run."""
    with transaction.atomic():
        visit = form.save(commit=False)
        visit.patient = patient
        visit.recorded_by = by
        visit.course = course_on(patient, visit.visit_date)
        test_data = form.pregnancy_test_data if hasattr(form, "pregnancy_test_data") else None
        if test_data:
            test = PregnancyTest(patient=patient, recorded_by=by, **test_data)
            test._history_user = by
            test.save()
            visit.pregnancy_test = test
        visit._history_user = by
        visit.save()
        course = visit.course
        positive = test_data and test_data["result"] == PregnancyTest.Result.POSITIVE
        running = (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED)
        if positive and course and course.status in running:
            dosing.end_course(
                course,
                by=by,
                status=TreatmentCourse.Status.DISCONTINUED,
                reason=R18_REASON,
                end_date=max(visit.visit_date, course.start_date),
                after_end=schedule_course_end_reminders,
            )
        schedule_visit_reminders(visit)
        if course is not None:
            transaction.on_commit(lambda: raise_flags(course_id=course.pk))
    return visit


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
