"""Prescribing for a course: the form, its live dose check (htmx) and the written prescription.

The figures (what is in hand, the dose after this supply, the projected end) come from
dosing.course_data; the decision from dosing.services.prescribe, the one gate.
"""

from dataclasses import replace

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clinic.accounts.roles import Role, role_required
from clinic.monitoring.labs import baseline_labs_of
from clinic.monitoring.weights import latest_weight_kg
from clinic.staff.access import get_course_for
from clinic.staff.access_log import log_page
from clinic.staff.forms.courses import PrescriptionForm, regimen_check
from clinic.staff.refusals import refuse_invalid_form
from dosing import rules, services
from dosing.course_data import course_figures
from dosing.models import Prescription, RefusedAction
from dosing.wording import say


def _baseline_labs(course, data) -> rules.BaselineLabs | None:
    """The labs on file for R19, with the reason typed in the form if any; None when the
    course has a prescription already (the rule asks only before the first), read no further."""
    if course.prescriptions.exists():
        return None
    reason = str(data.get("labs_not_needed_because", ""))[:200] if data else ""
    return baseline_labs_of(course.patient, not_needed_because=reason)


def _prescribing_context(course, form, weight, labs):
    figures = course_figures(course, weight_kg=weight)
    in_hand = figures.supply_in_hand()
    first = labs is not None
    # Missing whether or not a reason was typed: the field stays while its value counts.
    missing = first and bool(
        rules.baseline_lab_reasons(replace(labs, not_needed_because=""), timezone.localdate())[0]
    )
    return {
        # R19 before the course's first prescription: what is on file, and whether a reason
        # is needed instead (the field shows only then).
        "baseline_labs": labs,
        "baseline_labs_missing": missing,
        "baseline_labs_days": rules.BASELINE_LABS_WITHIN_DAYS,
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
    labs = _baseline_labs(course, request.POST)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fields.pop("labs_not_needed_because")  # carried in `labs`
        try:
            prescription = services.prescribe(
                course,
                by=request.user,
                prescribed_on=timezone.localdate(),
                weight_kg=weight,
                baseline_labs=labs or rules.BaselineLabs(),
                **fields,
            )
        except services.Refused as refusal:
            for reason in refusal.reasons:
                form.add_error(None, say(reason))
        else:
            messages.success(
                request,
                _(
                    "Prescribed %(mg)s mg × %(per_day)s a day for %(days)s days. Pick-up window "
                    "%(opens)s to %(closes)s."
                )
                % {
                    "mg": prescription.mg_per_dose,
                    "per_day": prescription.doses_per_day,
                    "days": prescription.days_supply,
                    "opens": dateformat.format(prescription.window_opens, "j M"),
                    "closes": dateformat.format(prescription.window_closes, "j M"),
                },
            )
            # Say what the new prescription replaced (R13: one supply at a time).
            for earlier in prescription.replaces.all():
                messages.warning(
                    request,
                    _("The prescription of %(day)s, not yet dispensed, is voided.")
                    % {"day": dateformat.format(earlier.prescribed_on, "j M")},
                )
            if form.cleaned_data.get("replace_reason"):
                messages.warning(request, _("The supply handed out before stops counting today."))
            return redirect(course)
    elif form.is_bound:  # a 31-day supply, a dose that is not a number: refused by the form
        refuse_invalid_form(
            form,
            kind=RefusedAction.Kind.PRESCRIBE,
            by=request.user,
            patient=course.patient,
            course=course,
        )
    context = _prescribing_context(course, form, weight, labs)
    context["check"] = regimen_check(course, weight, request.POST, labs) if form.is_bound else None
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
    labs = _baseline_labs(course, request.GET)
    context = _prescribing_context(course, form, weight, labs)
    check = regimen_check(course, weight, request.GET, labs)
    context["check"] = check
    if check is not None:
        context.update(_after_supply(context["figures"], check, form))
    return render(request, "staff/_dose_check.html", context)
