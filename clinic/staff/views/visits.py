"""Entering a visit (clinical staff or a prescriber), and with it the next follow-up's slot.

The visit, the appointments of its day marked attended and the follow-up booked are one
transaction: a booking the book refuses (the slot filled meanwhile, begun, the patient booked
then already) is a message next to the slot and nothing of the visit is saved.
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.monitoring import appointments as book
from clinic.monitoring import services
from clinic.monitoring.weights import latest_patient_weight_kg
from clinic.staff.access import get_patient_for
from clinic.staff.access_log import log_page
from clinic.staff.forms.visits import FOLLOW_UP_SLOT, VisitForm
from clinic.staff.refusals import refuse_invalid_form
from dosing.models import RefusedAction


@transaction.atomic
def _save(form, patient, user):
    visit = services.record_visit(
        patient,
        by=user,
        visit_date=form.cleaned_data["visit_date"],
        pregnancy_test=form.pregnancy_test(),
        **form.findings(),
    )
    attended = book.attended_at_visit(patient, visit.visit_date, by=user)
    appointment = None
    slot = form.follow_up_booking()
    if slot is not None:
        appointment = book.book(patient, *slot, by=user)
    return visit, attended, appointment


def _said_saved(request, visit, attended, appointment):
    # The date filter's formats, so Spanish has its month names ("6 Dic 2026").
    day = dateformat.format(visit.visit_date, "j M Y")
    if visit.pregnancy_test and visit.pregnancy_test.result == "positive":
        messages.error(
            request,
            _(
                "Positive pregnancy test: the course is stopped at once, no prescription or "
                "dispense is possible, and the prescriber is flagged. Refer the patient (R18)."
            ),
        )
    else:
        messages.success(request, _("Visit of %(day)s saved.") % {"day": day})
    if attended:
        if visit.visit_date == timezone.localdate():
            said = ngettext(
                "Today's appointment is marked attended.",
                "Today's appointments are marked attended.",
                len(attended),
            )
        else:
            said = _("The appointment of %(day)s is marked attended.") % {"day": day}
        messages.success(request, said)
    if appointment is not None:
        local = timezone.localtime(appointment.starts_at)
        messages.success(
            request,
            _("Booked the follow-up on %(day)s at %(time)s.")
            % {"day": dateformat.format(local, "l j F Y"), "time": dateformat.format(local, "H:i")},
        )


@role_required(*STAFF_ROLES)
def visit_new(request, patient_pk):
    patient = get_patient_for(request.user, patient_pk)
    log_page(request, patient, "Visit form")
    form = VisitForm(
        request.POST or None, patient=patient, previous_weight=latest_patient_weight_kg(patient)
    )
    if request.method == "POST" and form.is_valid():
        try:
            visit, attended, appointment = _save(form, patient, request.user)
        except book.AppointmentRefused as refusal:
            # The book's answer, not a clinical refusal: shown, not recorded as refused action.
            form.add_error(FOLLOW_UP_SLOT, str(refusal))
        else:
            _said_saved(request, visit, attended, appointment)
            return redirect(visit.course or patient)
    elif form.is_bound:  # an impossible weight, a date in the future: refused, and recorded
        refuse_invalid_form(form, kind=RefusedAction.Kind.VISIT, by=request.user, patient=patient)
    return render(request, "staff/visit_form.html", {"form": form, "patient": patient})


@role_required(*STAFF_ROLES)
@require_GET
def follow_up_slots(request, patient_pk):
    """htmx: the slot menu again for the follow-up day as it is typed on the visit form.

    Not logged: a part of the visit form (which logged when it opened), asked for again as
    the day changes (docs/SECURITY.md)."""
    patient = get_patient_for(request.user, patient_pk)
    try:
        day = forms.DateField().clean(request.GET.get("next_follow_up", ""))
    except forms.ValidationError:
        day = None
    form = VisitForm(initial={"next_follow_up": day}, patient=patient, previous_weight=None)
    return render(request, "staff/_follow_up_slots.html", {"form": form})
