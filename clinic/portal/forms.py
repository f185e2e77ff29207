"""Forms of the patient portal: reminder preferences and the monthly confirmation (R16)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.monitoring.models.visits import Contraception
from clinic.portal.content import QUESTIONS
from clinic.reminders.sms.setup import sms_set_up
from registry.models import Patient

MIN_METHODS = 2  # R16: two forms of contraception


class ReminderPreferencesForm(forms.Form):
    consent = forms.TypedChoiceField(
        label=_("Reminders"),
        choices=[("yes", _("Yes, send me reminders")), ("no", _("No reminders"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(
        label=_("How"),
        choices=Patient.ReminderChannel.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    @classmethod
    def for_patient(cls, patient: Patient, data=None):
        initial = {
            "consent": "yes" if patient.reminder_consent else "no",
            "channel": patient.reminder_channel or Patient.ReminderChannel.EMAIL,
        }
        form = cls(data, initial=initial)
        form.patient = patient
        return form

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("consent") and not cleaned.get("channel"):
            self.add_error("channel", _("Choose how you want your reminders."))
        patient = getattr(self, "patient", None)
        texts = cleaned.get("consent") and cleaned.get("channel") == Patient.ReminderChannel.SMS
        if texts and sms_set_up() and patient is not None and not patient.phone:
            self.add_error(
                "channel", _("The clinic has no phone number for you: ask the clinic to add it.")
            )
        return cleaned


class MonthlyConfirmationForm(forms.Form):
    """Two (or more) forms of contraception and the comprehension questions.

    Every question must be answered; whether the answers are right is decided by the service,
    which records the attempt either way.
    """

    methods = forms.MultipleChoiceField(
        label=_("The forms of contraception you use"),
        choices=Contraception.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the two (or more) forms you use.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                choices=question.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer.")},
            )

    def clean_methods(self):
        methods = self.cleaned_data["methods"]
        if len(methods) < MIN_METHODS:
            raise forms.ValidationError(
                _("Choose at least two: you need two forms of contraception used together.")
            )
        return methods

    @property
    def answers(self) -> dict[str, str]:
        return {q.key: self.cleaned_data[q.key] for q in QUESTIONS}

    def question_fields(self):
        return [(question, self[question.key]) for question in QUESTIONS]
