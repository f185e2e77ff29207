"""The patient's appointments in the portal: the booked ones, and a request to cancel or move
one (with a message), which waits until the clinic approves (clinic.monitoring.appointments).

The appointment is named by its id in the posted form, and looked up among the signed-in
patient's own appointments only: another patient's id answers 404, like a missing one, with a
page in the patient's language (Django's bare 404 page has no translation).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.accounts.roles import Role, role_required
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment
from clinic.portal.course import portal_patient


class ChangeRequestForm(forms.Form):
    appointment = forms.IntegerField(widget=forms.HiddenInput)
    change = forms.ChoiceField(
        label=_("What would you like?"),
        choices=Appointment.Change.choices,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=_("Message to the clinic"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a move, say which days or times would suit you."),
    )

    def clean(self):
        data = super().clean()
        if data.get("change") == Appointment.Change.MOVE and not data.get("message", "").strip():
            self.add_error("message", book.NO_MESSAGE)
        return data


def _not_found(request):
    return render(request, "portal/appointment_not_found.html", status=404)


@role_required(Role.PATIENT)
def appointments(request):
    patient = portal_patient(request.user)
    form = ChangeRequestForm(request.POST or None)
    failed_pk = None
    if request.method == "POST":
        try:
            pk = int(request.POST.get("appointment", ""))
        except ValueError:
            return _not_found(request)
        appointment = patient.appointments.filter(pk=pk).first()
        if appointment is None:
            return _not_found(request)
        if form.is_valid():
            try:
                book.request_change(
                    appointment,
                    change=form.cleaned_data["change"],
                    message=form.cleaned_data["message"],
                    by=request.user,
                )
            except book.AppointmentRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(
                    request,
                    gettext("Sent to the clinic. Your appointment stands until they answer."),
                )
            return redirect("portal:appointments")
        failed_pk = pk
    upcoming = list(book.upcoming_for(patient))
    return render(
        request,
        "portal/appointments.html",
        {
            "patient": patient,
            "rows": [
                (a, form if a.pk == failed_pk else ChangeRequestForm(initial={"appointment": a.pk}))
                for a in upcoming
            ],
        },
        status=400 if form.is_bound else 200,
    )
