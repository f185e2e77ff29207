"""Prescribing for a course: the form, its live dose check (htmx) and the written prescription.

The figures (what is in hand, the dose after this supply, the projected end) come from
dosing.course_data; the decision from dosing.services.prescribe, the one gate.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.accounts.roles import Role, role_required
from clinic.monitoring.weights import latest_weight_kg
from clinic.staff.access import get_course_for
from clinic.staff.access_log import log_page
from clinic.staff.forms.courses import PrescriptionForm, regimen_check
from clinic.staff.refusals import refuse_invalid_form
from dosing import rules, services
from dosing.course_data import course_figures
from dosing.models import Prescription, RefusedAction


def _prescribing_context(course, form, weight):
    figures = course_figures(course, weight_kg=weight)
    in_hand = figures.supply_in_hand()
    return {
        "open_prescription": in_hand.open_prescription,
        "covering_supply": in_hand.covering_supply,
        "covering_days": in_hand.covering_days,
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
    log_page(request, course.patient_id, "Prescribing page")
    weight = latest_weight_kg(course)
    form = PrescriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prescription = services.prescribe(
                course,
                by=request.user,
                prescribed_on=timezone.localdate(),
                weight_kg=weight,
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
    return render(request, "staff/prescribe.html", context)


def _after_supply(figures, check, form) -> dict:
    """Cumulative dose after this supply and the projected end, for the live feedback."""
    try:
        days = int(form.data.get("days_supply") or Prescription.MAX_DAYS_SUPPLY)
    except ValueError:
        days = Prescription.MAX_DAYS_SUPPLY
    days = max(1, min(days, Prescription.MAX_DAYS_SUPPLY))
    after = figures.after_supply(daily_mg=check.daily_mg if check.accepted else 0, days=days)
    return vars(after)


@role_required(Role.PRESCRIBER)
@require_GET
def prescribe_check(request, pk):
    """htmx: the same rules module answers as the prescriber types.

    Not logged: a part of the prescribing page, which logged when it opened, asked for again
    as each figure is typed (a row a keystroke would bury the log); docs/SECURITY.md."""
    course = get_course_for(request.user, pk)
    weight = latest_weight_kg(course)
    form = PrescriptionForm(request.GET)
    context = _prescribing_context(course, form, weight)
    check = regimen_check(course, weight, request.GET)
    context["check"] = check
    if check is not None:
        context.update(_after_supply(context["figures"], check, form))
    return render(request, "staff/_dose_check.html", context)
