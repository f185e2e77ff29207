"""Course pages for staff: start a course, the course page, ending a course.

They bring the patient's visits (latest weight, R6) together with dosing records; dosing's
services do the deciding. Prescribing is in prescribing.py.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinic.accounts.roles import STAFF_ROLES, Role, has_role, role_required
from clinic.monitoring.course_charts import chart_data, nodule_progress
from clinic.monitoring.labs import baseline_lab_visits, labs_of
from clinic.monitoring.weights import latest_weight_kg
from clinic.staff.access import get_course_for, get_patient_for
from clinic.staff.access_log import log_page
from clinic.staff.forms.courses import CourseEndForm, CourseStartForm
from clinic.staff.refusals import refuse_invalid_form
from dosing import services
from dosing.course_data import course_figures
from dosing.models import RefusedAction, TreatmentCourse
from dosing.schedule import Kind, dose_runs
from dosing.wording import say


@role_required(Role.PRESCRIBER)
def course_start(request, patient_pk):
    patient = get_patient_for(request.user, patient_pk)
    log_page(request, patient, "Course start page")
    form = CourseStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.start_course(patient, by=request.user, **form.cleaned_data)
        except services.Refused as refusal:
            for reason in refusal.reasons:
                form.add_error(None, say(reason))
        else:
            messages.success(request, _("Course %(number)s started.") % {"number": course.number})
            return redirect(course)
    elif form.is_bound:  # the form's own checks refused (the service records its refusals)
        refuse_invalid_form(
            form, kind=RefusedAction.Kind.START_COURSE, by=request.user, patient=patient
        )
    return render(request, "staff/course_start.html", {"form": form, "patient": patient})


@role_required(*STAFF_ROLES)
def course_detail(request, pk):
    course = get_course_for(request.user, pk)
    log_page(request, course.patient_id, "Course page")
    figures = course_figures(course, weight_kg=latest_weight_kg(course))
    coming = figures.coming(28)
    visits = list(course.visits.select_related("recorded_by").order_by("visit_date", "pk"))
    flags = list(course.flags.select_related("acknowledged_by").order_by("-raised_at"))
    return render(
        request,
        "staff/course_detail.html",
        {
            "course": course,
            "patient": course.patient,
            "figures": figures,
            "dose_runs": dose_runs(coming),
            "events": [e for e in coming if e.kind != Kind.DOSE],
            "visits": [(visit, labs_of(visit)) for visit in reversed(visits)],
            "flags": flags,
            "progress": nodule_progress(course, visits),
            "chart_data": chart_data(course, visits, earlier=baseline_lab_visits(course)),
            "can_prescribe": has_role(request.user, Role.PRESCRIBER) and course.is_active,
            "can_end": has_role(request.user, Role.PRESCRIBER)
            and course.status in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED),
        },
    )


@role_required(Role.PRESCRIBER)
def course_end(request, pk):
    course = get_course_for(request.user, pk)
    log_page(request, course.patient_id, "Course end page")
    initial = {"status": request.GET.get("status")} if request.GET.get("status") else None
    form = CourseEndForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_course(
                course,
                by=request.user,
                **form.cleaned_data,
            )
        except services.Refused as refusal:
            for reason in refusal.reasons:
                form.add_error(None, say(reason))
        else:
            messages.success(
                request,
                _(
                    "The course has ended. Prescriptions not yet dispensed are voided, and the "
                    "supply already handed out stops on the end day."
                ),
            )
            return redirect(course)
    elif form.is_bound:  # the form's own checks refused (the service records its refusals)
        refuse_invalid_form(
            form,
            kind=RefusedAction.Kind.END_COURSE,
            by=request.user,
            patient=course.patient,
            course=course,
        )
    return render(
        request,
        "staff/course_end.html",
        {"form": form, "course": course, "patient": course.patient},
    )
