"""Entering a visit (clinical staff or a prescriber)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.monitoring import services
from clinic.monitoring.weights import latest_patient_weight_kg
from clinic.staff.access import get_patient_for
from clinic.staff.access_log import log_page
from clinic.staff.forms.visits import VisitForm
from clinic.staff.refusals import refuse_invalid_form
from dosing.models import RefusedAction


@role_required(*STAFF_ROLES)
def visit_new(request, patient_pk):
    patient = get_patient_for(request.user, patient_pk)
    log_page(request, patient, "Visit form")
    form = VisitForm(
        request.POST or None, patient=patient, previous_weight=latest_patient_weight_kg(patient)
    )
    if request.method == "POST" and form.is_valid():
        visit = services.record_visit(
            patient,
            by=request.user,
            visit_date=form.cleaned_data["visit_date"],
            pregnancy_test=form.pregnancy_test(),
            **form.findings(),
        )
        if visit.pregnancy_test and visit.pregnancy_test.result == "positive":
            messages.error(
                request,
                "Positive pregnancy test: the course is stopped at once, no prescription or "
                "dispense is possible, and the prescriber is flagged. Refer the patient (R18).",
            )
        else:
            messages.success(request, f"Visit of {visit.visit_date:%-d %b %Y} saved.")
        return redirect(visit.course or patient)
    if form.is_bound:  # an impossible weight, a date in the future: refused, and recorded
        refuse_invalid_form(form, kind=RefusedAction.Kind.VISIT, by=request.user, patient=patient)
    return render(request, "staff/visit_form.html", {"form": form, "patient": patient})
