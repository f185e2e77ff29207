"""Recording a pregnancy test outside a visit (a lab result that arrives by itself).

A clinic view because a positive result stops the patient's active course at once (R18),
which is dosing's record.
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone

from clinic.flagging import raise_flags
from clinic.reminders import schedule_course_end_reminders
from dosing import services as dosing
from dosing.models import TreatmentCourse
from registry.models import PregnancyTest
from registry.roles import STAFF_ROLES, role_required
from registry.views.patients import get_patient_for


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
            raise forms.ValidationError("The specimen date is in the future.")
        return day


@role_required(*STAFF_ROLES)
def record_pregnancy_test(request, patient_pk):
    patient = get_patient_for(request.user, patient_pk)
    form = PregnancyTestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            test = form.save(commit=False)
            test.patient = patient
            test.recorded_by = request.user
            test._history_user = request.user
            test.save()
            positive = test.result == PregnancyTest.Result.POSITIVE
            active = patient.courses.filter(status=TreatmentCourse.Status.ACTIVE).first()
            if positive and active is not None:
                dosing.end_course(
                    active,
                    by=request.user,
                    status=TreatmentCourse.Status.DISCONTINUED,
                    reason="Positive pregnancy test: stopped at once and referred (R18).",
                    end_date=timezone.localdate(),
                    after_end=schedule_course_end_reminders,
                )
                transaction.on_commit(lambda: raise_flags(course_id=active.pk))
        if positive:
            if active is not None:
                messages.error(
                    request,
                    f"Positive pregnancy test: course {active.number} is stopped at once and no "
                    "further prescription or dispense is possible. Refer the patient (R18).",
                )
            else:
                messages.error(
                    request, "Positive pregnancy test recorded. Refer the patient (R18)."
                )
        else:
            messages.success(request, "Negative pregnancy test recorded.")
        return redirect(patient)
    return render(request, "clinic/pregnancy_test_form.html", {"form": form, "patient": patient})
