"""The visit form: one page, in the order of an appointment."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from clinic.monitoring.models import Visit
from clinic.monitoring.models.visits import (
    NODULE_COUNT_MAX,
    NODULE_COUNT_MAX_MESSAGE,
    Contraception,
    SideEffect,
    lipid_bound_errors,
    liver_enzyme_validators,
)
from clinic.monitoring.services import VISIT_FINDINGS, PregnancyTestEntry
from registry.models import PregnancyTest

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PHQ_CHOICES = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]
WEIGHT_CHANGE_CONFIRM = Decimal("0.10")


class VisitForm(forms.ModelForm):
    side_effects = forms.MultipleChoiceField(
        choices=SideEffect.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    contraception = forms.MultipleChoiceField(
        label="Contraception methods confirmed",
        choices=Contraception.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Two forms, from one month before to one month after treatment (R16).",
    )
    phq2_interest = forms.TypedChoiceField(
        coerce=int,
        choices=PHQ_CHOICES,
        widget=forms.RadioSelect,
        label="Over the last 2 weeks, how often: little interest or pleasure in doing things?",
    )
    phq2_mood = forms.TypedChoiceField(
        coerce=int,
        choices=PHQ_CHOICES,
        widget=forms.RadioSelect,
        label="Over the last 2 weeks, how often: feeling down, depressed or hopeless?",
    )
    test_specimen_date = forms.DateField(
        label="Pregnancy test: specimen date", required=False, widget=DATE_INPUT
    )
    test_result = forms.ChoiceField(
        label="Result",
        required=False,
        widget=forms.RadioSelect,
        choices=PregnancyTest.Result.choices,
    )
    test_setting = forms.ChoiceField(
        label="Where",
        required=False,
        widget=forms.RadioSelect,
        choices=PregnancyTest.Setting.choices,
        initial=PregnancyTest.Setting.MEDICAL,
    )
    confirm_weight_change = forms.BooleanField(
        required=False, label="Yes, the weight has changed by more than 10%"
    )

    class Meta:
        model = Visit
        fields = list(VISIT_FINDINGS)  # what monitoring.services.record_visit takes
        widgets = {
            "visit_date": DATE_INPUT,
            "next_follow_up": DATE_INPUT,
            "weight_kg": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            "nodule_count": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"weight_kg": "Weight (kg)", "side_effects_other": "Other side effect"}

    def __init__(self, *args, patient, previous_weight: Decimal | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.previous_weight = previous_weight
        self.fields["visit_date"].initial = timezone.localdate()
        self.fields["next_follow_up"].initial = timezone.localdate() + datetime.timedelta(28)
        self.fields["weight_kg"].error_messages.update(
            {
                "min_value": "%(limit_value)s kg is the lowest weight accepted; check the scale.",
                "max_value": "%(limit_value)s kg is the highest weight accepted; check the scale.",
            }
        )
        self.fields["nodule_count"].error_messages["min_value"] = "A count cannot be negative."
        # The model's plausible bounds (clinic/models/visits.py), checked by the form fields
        # themselves so the message naming the bound sits next to the field.
        self.fields["nodule_count"].validators.append(
            MaxValueValidator(NODULE_COUNT_MAX, NODULE_COUNT_MAX_MESSAGE)
        )
        for name in ("alt", "ast"):  # a minimum of 1 replaces the field's 0: one message for -1
            field = self.fields[name]
            field.validators = [v for v in field.validators if not isinstance(v, MinValueValidator)]
            field.validators += liver_enzyme_validators(name.upper())
        self.asks_weight_confirmation = False
        if not patient.can_get_pregnant:
            for name in ("test_specimen_date", "test_result", "test_setting", "contraception"):
                del self.fields[name]

    def _not_future(self, name):
        day = self.cleaned_data.get(name)
        if day and day > timezone.localdate():
            raise forms.ValidationError("This date is in the future.")
        return day

    def clean_visit_date(self):
        return self._not_future("visit_date")

    def clean_test_specimen_date(self):
        return self._not_future("test_specimen_date")

    def clean(self):
        data = super().clean()
        visit_day, follow_up = data.get("visit_date"), data.get("next_follow_up")
        if visit_day and follow_up and follow_up <= visit_day:
            self.add_error("next_follow_up", "The next follow-up must be after this visit.")
        # Lipid bounds depend on the unit chosen, another field: checked here, shown on the value.
        for name, message in lipid_bound_errors(data).items():
            self.add_error(name, message)
        if "other" in (data.get("side_effects") or []) and not data.get("side_effects_other"):
            self.add_error("side_effects_other", "Describe the other side effect.")
        weight = data.get("weight_kg")
        if weight and self.previous_weight:
            change = abs(weight - self.previous_weight) / self.previous_weight
            if change > WEIGHT_CHANGE_CONFIRM and not data.get("confirm_weight_change"):
                self.asks_weight_confirmation = True
                self.add_error(
                    "confirm_weight_change",
                    f"{weight} kg is {change:.0%} away from the last recorded "
                    f"{self.previous_weight} kg. Check the scale, or tick to confirm.",
                )
        if "test_result" in self.fields:
            given = [data.get("test_specimen_date"), data.get("test_result")]
            if any(given) and not all(given):
                self.add_error(
                    "test_result" if given[0] else "test_specimen_date",
                    "Give both the specimen date and the result.",
                )
        return data

    def findings(self) -> dict:
        """The measured values, by name, for clinic.monitoring.services.record_visit."""
        return {
            name: self.cleaned_data[name]
            for name in VISIT_FINDINGS
            if name in self.cleaned_data and name != "visit_date"
        }

    def pregnancy_test(self) -> PregnancyTestEntry | None:
        data = self.cleaned_data
        if data.get("test_specimen_date") and data.get("test_result"):
            return PregnancyTestEntry(
                specimen_date=data["test_specimen_date"],
                result=data["test_result"],
                setting=data.get("test_setting") or PregnancyTest.Setting.MEDICAL,
            )
        return None
