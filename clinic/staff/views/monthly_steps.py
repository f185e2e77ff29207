"""The monthly steps (iPLEDGE; docs/CLINICAL_RULES.md, "The monthly steps"): the prescriber's
counselling confirmation, posted from the patient page's "This month" card, and the month's
steps per patient as a CSV that staff key into the national portal."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.staff.access import get_patient_for
from clinic.staff.exports import CONTENT_TYPE, in_export_language, neutralise, stream_csv
from clinic.staff.forms.monthly_steps import CounsellingForm, MonthStepsForm
from clinic.staff.refusals import refuse_invalid_form
from dosing import counselling
from dosing.models import RefusedAction, TreatmentCourse
from dosing.monthly_steps import STEPS, Month, in_treatment_during, steps_of_course, with_steps
from dosing.services import Refused
from dosing.wording import say_all
from registry.audit import record_access
from registry.models import RecordAccess

COURSE_ID = re.compile(r"[0-9]{1,18}")
CSV_HEADERS = [
    "Registry ID",
    "Name",
    "Risk category",
    "Course",
    *(label for _key, label in STEPS),
    "Missing",
]


def _this_month_url(patient) -> str:
    return f"{patient.get_absolute_url()}#this-month"


@role_required(*STAFF_ROLES)
@require_POST
def confirm_counselling(request, patient_pk):
    """The card's button. The course must be this patient's (any other id answers 404); the
    month comes from the card and is checked again here and in the service."""
    patient = get_patient_for(request.user, patient_pk)
    course_id = request.POST.get("course", "")
    if not COURSE_ID.fullmatch(course_id):
        raise Http404("No such course.")
    course = get_object_or_404(
        TreatmentCourse.objects.select_related("patient"), pk=course_id, patient=patient
    )
    form = CounsellingForm(request.POST)
    if not form.is_valid():
        refuse_invalid_form(
            form,
            kind=RefusedAction.Kind.COUNSELLING,
            by=request.user,
            patient=patient,
            course=course,
        )
        messages.error(
            request,
            _("Counselling not confirmed: %(reason)s") % {"reason": form.errors["month"][0]},
        )
        return redirect(_this_month_url(patient))
    month = form.cleaned_data["month"]
    try:
        counselling.confirm_counselling(course, month=month, by=request.user)
    except Refused as refusal:
        messages.error(
            request,
            _("Counselling not confirmed: %(reason)s")
            % {"reason": " ".join(say_all(refusal.reasons))},
        )
    else:
        messages.success(
            request,
            _("Counselling confirmed for %(month)s.")
            % {"month": dateformat.format(month.first, "F Y")},
        )
    return redirect(_this_month_url(patient))


@role_required(*STAFF_ROLES)
@require_GET
def monthly_steps_csv(request):
    """The month's steps of every course in treatment that month (?month=2026-12; this month
    without it). A month that is not one, or has not started, shows the form with the reason
    next to the field, never a file (as any form with errors: 200, the page is the answer)."""
    form = MonthStepsForm({"month": request.GET.get("month") or str(Month.current())})
    if not form.is_valid():
        return render(request, "staff/monthly_steps_csv.html", {"form": form})
    month = form.cleaned_data["month"]
    courses = with_steps(in_treatment_during(month), month).order_by(
        "patient__last_name", "patient__first_name", "patient_id", "number"
    )
    response = StreamingHttpResponse(csv_lines(courses), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="monthly-steps-{month}.csv"'
    record_access(
        request.user,
        None,
        RecordAccess.Kind.EXPORT,
        "Monthly steps CSV",
        {"format": "csv", "filter": {"month": str(month)}},
    )
    return response


def csv_row(course: TreatmentCourse) -> list:
    steps = steps_of_course(course)
    patient = course.patient
    return [
        patient.registry_id,
        patient.full_name,
        patient.get_risk_category_display(),
        course.number,
        *(step.on.isoformat() if step.on else "" for step in steps),
        "; ".join(step.label for step in steps if step.missing),
    ]


def csv_lines(courses) -> Iterator[str]:
    """The header, then blocks of lines as the rows are fetched (one query, read through a
    cursor), every cell made inert for a spreadsheet (exports.stream_csv); in English whatever
    the page's language, as every export (exports.in_export_language)."""
    return in_export_language(
        stream_csv([neutralise(header) for header in CSV_HEADERS], courses, csv_row)
    )
