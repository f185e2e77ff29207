"""Recording a pregnancy test outside a visit (a lab result that arrives by itself).

A positive result stops the patient's planned and active courses at once (R18): the same
service as the visit form (clinic.monitoring.services.record_pregnancy_test).
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.monitoring import services
from clinic.staff.access import get_patient_for
from clinic.staff.access_log import log_page
from clinic.staff.refusals import refuse_invalid_form
from dosing.models import RefusedAction
from registry.models import PregnancyTest


class PregnancyTestForm(forms.ModelForm):
    class Meta:
        model = PregnancyTest
        fields = ["specimen_date", "result", "setting"]
        widgets = {
            "specimen_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "result": forms.RadioSelect,
            "setting": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = PregnancyTest.Result.choices
        self.fields["setting"].choices = PregnancyTest.Setting.choices

    def clean_specimen_date(self):
        day = self.cleaned_data["specimen_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext_lazy("The specimen date is in the future."))
        return day


@role_required(*STAFF_ROLES)
def record_pregnancy_test(request, patient_pk):
    patient = get_patient_for(request.user, patient_pk)
    log_page(request, patient, "Pregnancy test form")
    form = PregnancyTestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            test, stopped = services.record_pregnancy_test(
                patient, by=request.user, **form.cleaned_data
            )
        if test.result == PregnancyTest.Result.POSITIVE:
            if stopped:
                numbers = ", ".join(str(course.number) for course in stopped)
                messages.error(
                    request,
                    _(
                        "Positive pregnancy test: course %(numbers)s is stopped at once, its "
                        "prescriptions are voided and no further prescription or dispense is "
                        "possible. Refer the patient (R18)."
                    )
                    % {"numbers": numbers},
                )
            else:
                messages.error(
                    request, _("Positive pregnancy test recorded. Refer the patient (R18).")
                )
        else:
            messages.success(request, _("Negative pregnancy test recorded."))
        return redirect(patient)
    if form.is_bound:  # a specimen date in the future, no result: refused, and recorded
        refuse_invalid_form(
            form, kind=RefusedAction.Kind.PREGNANCY_TEST, by=request.user, patient=patient
        )
    return render(request, "staff/pregnancy_test_form.html", {"form": form, "patient": patient})
