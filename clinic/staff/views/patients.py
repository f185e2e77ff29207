"""Staff pages for the registry: the patient list, enrolment, editing, status changes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinic.accounts.roles import STAFF_ROLES, Role, has_role, role_required
from clinic.staff.access import get_patient_for
from clinic.staff.access_log import log_export, log_page
from clinic.staff.filters import PatientFilter
from clinic.staff.forms.patients import (
    ROWS_CHANGED,
    PatientForm,
    PriorTreatmentFormSet,
    StatusForm,
    prior_treatment_entries,
    prior_treatment_initial,
)
from clinic.staff.paging import filtered_list
from clinic.staff.refusals import refuse_invalid_form
from clinic.staff.tables.patients import PatientTable
from dosing.wording import say
from registry import services
from registry.models import Patient

PAGE_SIZE = 25


@role_required(*STAFF_ROLES)
def patient_list(request):
    queryset = Patient.objects.select_related("prescriber")
    patient_filter = PatientFilter(request.GET, queryset=queryset)
    # A search that cannot be right (a registry ID with a wrong check character) shows its
    # message and no rows, rather than the whole list as if nothing had been asked.
    valid = patient_filter.is_valid()
    rows = patient_filter.qs if valid else queryset.none()
    table = PatientTable(rows, searching=valid and bool(patient_filter.form.cleaned_data["q"]))
    response = filtered_list(
        request,
        "staff/patient_list.html",
        table,
        patient_filter,
        filename="patients.csv",
        size=PAGE_SIZE,
    )
    # The page itself is a directory (names, IDs, statuses), not logged; a file of it is.
    log_export(request, response, "Patient list export")
    return response


def _render_patient_form(request, form, formset, *, patient=None):
    template = "staff/patient_form.html"
    # Rows refused as a whole (changed before they were sent: see BasePriorTreatmentFormSet)
    # cannot be shown again as they came, or saving again would fail again: fresh rows, with
    # the message above them.
    rows_changed = formset.is_bound and bool(formset.non_form_errors())
    if rows_changed:
        formset = PriorTreatmentFormSet(initial=prior_treatment_initial(patient), prefix="prior")
    context = {
        "form": form,
        "formset": formset,
        "patient": patient,
        "rows_changed": ROWS_CHANGED if rows_changed else "",
    }
    return render(request, template, context)


@role_required(*STAFF_ROLES)
def patient_enrol(request):
    if request.method == "POST":
        form = PatientForm(request.POST)
        formset = PriorTreatmentFormSet(request.POST, prefix="prior")
        if form.is_valid() and formset.is_valid():
            patient = services.enrol_patient(
                by=request.user,
                prior_treatments=prior_treatment_entries(formset),
                guardian=form.guardian_entry(),
                **form.details(),
            )
            messages.success(
                request,
                _("%(name)s is enrolled with registry ID %(registry_id)s.")
                % {"name": patient.full_name, "registry_id": patient.registry_id},
            )
            return redirect(patient)
        # An age under 12, a duplicate, a missing consent: refused, and recorded as such.
        refuse_invalid_form(form, kind="enrol", by=request.user, formsets=[formset])
        return _render_patient_form(request, form, formset)
    initial = {"prescriber": request.user.pk} if has_role(request.user, Role.PRESCRIBER) else {}
    form = PatientForm(initial=initial)
    formset = PriorTreatmentFormSet(initial=prior_treatment_initial(None), prefix="prior")
    return _render_patient_form(request, form, formset)


@role_required(*STAFF_ROLES)
def patient_edit(request, pk):
    patient = get_patient_for(request.user, pk)
    if request.method == "POST":
        form = PatientForm(request.POST, instance=patient)
        formset = PriorTreatmentFormSet(request.POST, prefix="prior")
        if form.is_valid() and formset.is_valid():
            changed = services.update_patient(
                patient,
                by=request.user,
                prior_treatments=prior_treatment_entries(formset),
                guardian=form.guardian_entry(),
                **form.details(),
            )
            messages.success(request, _("Changes saved."))
            for sentence in changed.consequences:
                messages.warning(request, say(sentence))
            return redirect(patient)
        refuse_invalid_form(
            form, kind="edit_patient", by=request.user, patient=patient, formsets=[formset]
        )
        return _render_patient_form(request, form, formset, patient=patient)
    log_page(request, patient, "Patient edit page")
    form = PatientForm(instance=patient)
    formset = PriorTreatmentFormSet(initial=prior_treatment_initial(patient), prefix="prior")
    return _render_patient_form(request, form, formset, patient=patient)


@role_required(*STAFF_ROLES)
def patient_status(request, pk):
    patient = get_patient_for(request.user, pk)
    log_page(request, patient, "Patient status page")
    form = StatusForm(request.POST or None, initial={"status": patient.status})
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.change_status(
                patient, form.cleaned_data["status"], form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Status changed."))
            for sentence in changed.consequences:
                messages.warning(request, say(sentence))
            return redirect(patient)
    if form.errors:  # posted and refused, by the form or by the service
        refuse_invalid_form(form, kind="edit_patient", by=request.user, patient=patient)
    return render(request, "staff/patient_status.html", {"form": form, "patient": patient})
