"""The one way staff pages fetch a record: scoped to what the user may see, else 404.

Every staff view that takes an id fetches through these, so "another patient's record answers
404" holds in one place. Staff see the clinic's patients; anyone else gets 404 (role_required
has already turned them away, this is the second lock).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from clinic.accounts.roles import STAFF_ROLES, has_role
from dosing.models import TreatmentCourse
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
