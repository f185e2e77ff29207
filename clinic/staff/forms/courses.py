"""Forms for starting, prescribing in and ending a treatment course."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dosing import rules, services
from dosing.models import FORMULATION_CHOICES, Prescription, TreatmentCourse

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseStartForm(forms.ModelForm):
    class Meta:
        model = TreatmentCourse
        fields = [
            "start_date",
            "baseline_weight_kg",
            "baseline_nodule_count",
            "formulation",
            "target_mg_per_kg",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "formulation": forms.RadioSelect,
            "baseline_weight_kg": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }
        labels = {
            "baseline_weight_kg": _("Weight today (kg)"),
            "baseline_nodule_count": _("Total inflammatory nodule count today"),
        }
        help_texts = {
            "target_mg_per_kg": _("Usually 120 to 150 mg/kg over the course (R7)."),
            "start_date": _("The day of the first dose. A later date plans the course."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["formulation"].choices = FORMULATION_CHOICES
        self.fields["start_date"].initial = timezone.localdate()

    def clean_start_date(self):
        day = self.cleaned_data["start_date"]
        if day < timezone.localdate() - datetime.timedelta(days=7):
            raise forms.ValidationError(_("A course cannot start more than a week in the past."))
        return day


class PrescriptionForm(forms.Form):
    mg_per_dose = forms.DecimalField(
        label=_("mg per dose"),
        min_value=Decimal("0.1"),
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "1", "inputmode": "numeric"}),
    )
    doses_per_day = forms.TypedChoiceField(
        coerce=int,
        choices=[(2, _("Twice a day (morning and evening)")), (1, _("Once a day"))],
        label=_("Doses per day"),
        initial=2,
        widget=forms.RadioSelect,
    )
    days_supply = forms.IntegerField(
        label=_("Days' supply"),
        min_value=1,
        initial=Prescription.MAX_DAYS_SUPPLY,
        help_text=_("At most 30 days; no refills (R13)."),
    )

    replace_reason = forms.CharField(
        label=_("Replace the current supply: why?"),
        required=False,
        max_length=200,
        help_text=_(
            "Only to change the dose while a supply handed out still covers more than a week "
            "(R13): the current supply stops counting today."
        ),
    )

    labs_not_needed_because = forms.CharField(
        label=_("Baseline labs not on file: why they are not needed"),
        required=False,
        max_length=200,
        help_text=_(
            "Only for a course's first prescription when the fasting lipids or the liver tests "
            "of the last 30 days are missing (R19); kept with the prescription."
        ),
    )

    def clean_days_supply(self):
        days = self.cleaned_data["days_supply"]
        if days > Prescription.MAX_DAYS_SUPPLY:
            raise forms.ValidationError(
                _("%(days)s days' supply: at most 30 days per prescription, no refills (R13)."),
                params={"days": days},
            )
        return days


class CourseEndForm(forms.Form):
    status = forms.ChoiceField(
        label=_("How the course ends"),
        choices=[(s.value, s.label) for s in TreatmentCourse.ENDED],
        widget=forms.RadioSelect,
    )
    end_date = forms.DateField(widget=DATE_INPUT, label=_("End date"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = timezone.localdate()

    def clean_end_date(self):
        day = self.cleaned_data["end_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The end date is in the future."))
        return day


def regimen_check(course, weight_kg, data, baseline_labs) -> rules.RegimenCheck | None:
    """Check typed values for the live feedback with the same decision prescribe() enforces;
    None until a dose is typed."""
    try:
        mg = Decimal(str(data.get("mg_per_dose", "")).strip())
        per_day = int(data.get("doses_per_day") or 2)
        days = int(data.get("days_supply") or Prescription.MAX_DAYS_SUPPLY)
    except (ArithmeticError, ValueError):
        return None
    check, _decision = services.prescription_decision(
        course,
        on=timezone.localdate(),
        weight_kg=weight_kg,
        mg_per_dose=mg,
        doses_per_day=per_day,
        days_supply=max(1, min(days, Prescription.MAX_DAYS_SUPPLY)),
        replacing=bool(str(data.get("replace_reason", "")).strip()),
        baseline_labs=baseline_labs,
    )
    return check
