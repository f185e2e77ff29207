"""Course pages for staff: start a course, the course page, prescribing, ending a course.

Clinic views because they bring the patient's visits (latest weight, R6) together with dosing
records; dosing's services do the deciding.
"""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.course_charts import chart_data, nodule_progress
from clinic.course_forms import CourseEndForm, CourseStartForm, PrescriptionForm, regimen_check
from clinic.labs import labs_of
from clinic.reminders import schedule_course_end_reminders, schedule_prescription_reminders
from clinic.weights import latest_weight_kg
from dosing import rules, services
from dosing.course_data import course_figures
from dosing.models import RefusedAction, TreatmentCourse
from dosing.schedule import Kind, dose_runs
from registry.refusals import refuse_invalid_form
from registry.roles import STAFF_ROLES, Role, has_role, role_required
from registry.views.patients import get_patient_for


def get_course_for(user, pk) -> TreatmentCourse:
    if not has_role(user, *STAFF_ROLES):
        raise Http404("No such course.")
    return get_object_or_404(
        TreatmentCourse.objects.select_related("patient__prescriber", "started_by"), pk=pk
    )


@role_required(Role.PRESCRIBER)
def course_start(request, patient_pk):
    patient = get_patient_for(request.user, patient_pk)
    form = CourseStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.start_course(patient, by=request.user, **form.cleaned_data)
        except services.Refused as refusal:
            for reason in refusal.reasons:
                form.add_error(None, reason)
        else:
            messages.success(request, f"Course {course.number} started.")
            return redirect(course)
    elif form.is_bound:  # the form's own checks refused (the service records its refusals)
        refuse_invalid_form(
            form, kind=RefusedAction.Kind.START_COURSE, by=request.user, patient=patient
        )
    return render(request, "clinic/course_start.html", {"form": form, "patient": patient})


@role_required(*STAFF_ROLES)
def course_detail(request, pk):
    course = get_course_for(request.user, pk)
    figures = course_figures(course, weight_kg=latest_weight_kg(course))
    coming = figures.coming(28)
    visits = list(course.visits.select_related("recorded_by").order_by("visit_date", "pk"))
    flags = list(course.flags.select_related("acknowledged_by").order_by("-raised_at"))
    return render(
        request,
        "clinic/course_detail.html",
        {
            "course": course,
            "patient": course.patient,
            "figures": figures,
            "dose_runs": dose_runs(coming),
            "events": [e for e in coming if e.kind != Kind.DOSE],
            "visits": [(visit, labs_of(visit)) for visit in reversed(visits)],
            "flags": flags,
            "progress": nodule_progress(course, visits),
            "chart_data": chart_data(course, visits),
            "can_prescribe": has_role(request.user, Role.PRESCRIBER) and course.is_active,
            "can_end": has_role(request.user, Role.PRESCRIBER)
            and course.status in (TreatmentCourse.Status.ACTIVE, TreatmentCourse.Status.PLANNED),
        },
    )


def _prescribing_context(course, form, weight):
    figures = course_figures(course, weight_kg=weight)
    today = timezone.localdate()
    open_prescription, covering, covering_days = None, None, 0
    for rx in figures.prescriptions:
        live = rx.live_dispense()
        if rx.voided_at is None and live is None:
            open_prescription = rx
        elif live is not None:
            left = live.as_supply().days_left(today)
            if left > rules.ALLOWED_OVERLAP_DAYS:
                covering, covering_days = live, left
    return {
        "open_prescription": open_prescription,
        "covering_supply": covering,
        "covering_days": covering_days,
        "course": course,
        "patient": course.patient,
        "form": form,
        "weight": weight,
        "today": timezone.localdate(),
        "range": rules.dose_range(weight, course.formulation),
        "figures": figures,
        "label_row": rules.label_daily_doses(weight),
    }


@role_required(Role.PRESCRIBER)
def prescribe(request, pk):
    course = get_course_for(request.user, pk)
    weight = latest_weight_kg(course)
    form = PrescriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prescription = services.prescribe(
                course,
                by=request.user,
                prescribed_on=timezone.localdate(),
                weight_kg=weight,
                after_save=schedule_prescription_reminders,
                **form.cleaned_data,
            )
        except services.Refused as refusal:
            for reason in refusal.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request,
                f"Prescribed {prescription.mg_per_dose} mg × {prescription.doses_per_day} a day "
                f"for {prescription.days_supply} days. Pick-up window "
                f"{prescription.window_opens:%-d %b} to {prescription.window_closes:%-d %b}.",
            )
            # Say what the new prescription replaced (R13: one supply at a time).
            for earlier in prescription.replaces.all():
                messages.warning(
                    request,
                    f"The prescription of {earlier.prescribed_on:%-d %b}, not yet dispensed, "
                    "is voided.",
                )
            if form.cleaned_data.get("replace_reason"):
                messages.warning(request, "The supply handed out before stops counting today.")
            return redirect(course)
    elif form.is_bound:  # a 31-day supply, a dose that is not a number: refused by the form
        refuse_invalid_form(
            form,
            kind=RefusedAction.Kind.PRESCRIBE,
            by=request.user,
            patient=course.patient,
            course=course,
        )
    context = _prescribing_context(course, form, weight)
    context["check"] = regimen_check(course, weight, request.POST) if form.is_bound else None
    if context["check"] is not None:
        context.update(_after_supply(context["figures"], context["check"], form))
    return render(request, "clinic/prescribe.html", context)


def _after_supply(figures, check, form) -> dict:
    """Cumulative dose after this supply and the projected end, for the live feedback."""
    try:
        days = int(form.data.get("days_supply") or 30)
    except ValueError:
        days = 30
    days = max(1, min(days, 30))
    added = check.daily_mg * days if check.accepted else Decimal(0)
    after = figures.taken_mg + added
    # This supply follows what is already dispensed; the target is projected at its dose.
    projected = rules.projected_target_date(
        as_of=max(figures.today, figures.supplied_until + datetime.timedelta(days=1)),
        taken_mg=figures.taken_mg,
        daily_mg=check.daily_mg if check.accepted else 0,
        target_mg_per_kg=figures.course.target_mg_per_kg,
        weight_kg=figures.weight_kg,
    )
    return {
        "after_mg": after,
        "after_mg_per_kg": after / figures.weight_kg,
        "projected_end": projected,
        "beyond_limit": bool(projected and projected > figures.course.limit_date),
    }


@role_required(Role.PRESCRIBER)
@require_GET
def prescribe_check(request, pk):
    """htmx: the same rules module answers as the prescriber types."""
    course = get_course_for(request.user, pk)
    weight = latest_weight_kg(course)
    form = PrescriptionForm(request.GET)
    context = _prescribing_context(course, form, weight)
    check = regimen_check(course, weight, request.GET)
    context["check"] = check
    if check is not None:
        context.update(_after_supply(context["figures"], check, form))
    return render(request, "clinic/_dose_check.html", context)


@role_required(Role.PRESCRIBER)
def course_end(request, pk):
    course = get_course_for(request.user, pk)
    initial = {"status": request.GET.get("status")} if request.GET.get("status") else None
    form = CourseEndForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_course(
                course,
                by=request.user,
                after_end=schedule_course_end_reminders,
                **form.cleaned_data,
            )
        except services.Refused as refusal:
            for reason in refusal.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request,
                "The course has ended. Prescriptions not yet dispensed are voided, and the "
                "supply already handed out stops on the end day.",
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
        "clinic/course_end.html",
        {"form": form, "course": course, "patient": course.patient},
    )
