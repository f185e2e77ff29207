"""The one way staff pages fetch a record by its id: scoped to what the user may see, else 404.

Every staff view that takes an id fetches through these, so "another patient's record answers
404" holds in one place. Staff see the clinic's patients; anyone else gets 404 (role_required
has already turned them away, this is the second lock).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from clinic.accounts.roles import STAFF_ROLES, has_role
from clinic.monitoring.models import Appointment, CourseFlag, Visit
from clinic.reminders.models import Reminder
from dosing.models import Prescription, TreatmentCourse
from registry.models import Patient


def get_patient_for(user, pk) -> Patient:
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such patient.")
    return get_object_or_404(Patient.objects.select_related("prescriber", "user"), pk=pk)


def get_course_for(user, pk) -> TreatmentCourse:
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such course.")
    return get_object_or_404(
        TreatmentCourse.objects.select_related("patient__prescriber", "started_by"), pk=pk
    )


def get_open_flag_for(user, pk) -> CourseFlag:
    """A flag still to acknowledge; an acknowledged one is not there to act on any more."""
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such flag.")
    flag = get_object_or_404(CourseFlag.objects.select_related("course__patient"), pk=pk)
    if not flag.is_open:
        raise Http404("This flag is already acknowledged.")
    return flag


def get_appointment_for(user, pk) -> Appointment:
    """An appointment with its patient and session (the book's buttons)."""
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such appointment.")
    return get_object_or_404(Appointment.objects.select_related("patient", "session"), pk=pk)


def get_reminder_for(user, pk) -> Reminder:
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such reminder.")
    return get_object_or_404(Reminder, pk=pk)


def get_prescription_for(user, pk) -> Prescription:
    """A prescription with its course, patient and the people on it (the printout)."""
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such prescription.")
    return get_object_or_404(
        Prescription.objects.select_related(
            "course__patient__prescriber", "prescribed_by", "pregnancy_test", "voided_by"
        ).prefetch_related("dispenses__pharmacy"),
        pk=pk,
    )


def get_visit_for(user, pk) -> Visit:
    """A visit with its patient, course, test and who recorded it (the visit summary)."""
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such visit.")
    return get_object_or_404(
        Visit.objects.select_related("patient", "course", "pregnancy_test", "recorded_by"),
        pk=pk,
    )
