"""The guardian's fields on the enrolment and edit form (issue 17 point 5).

They are fields of PatientForm itself (this class is one of its bases), not a second form: the
rule needs the date of birth, and a refusal then lists the guardian's messages with the
patient's (clinic.staff.refusals). The rule and its messages are registry.guardianship's, the
same the services refuse with; the form only puts each message next to its field.

Nothing entered means no guardian: for a patient under 18 that is refused (also when the
fields were taken out of the post); for an adult it is accepted, and on the edit page it
removes the guardian an adult had. Guardian details entered for an adult are saved (a legal
guardian of an adult, a parent kept after the 18th birthday).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.guardianship import GuardianEntry, guardian_of, guardian_problems
from registry.models import Guardian

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PREFIX = "guardian_"


class GuardianFields(forms.Form):
    guardian_full_name = forms.CharField(
        required=False, max_length=200, label=_("Guardian's full name")
    )
    guardian_relation = forms.ChoiceField(
        required=False,
        choices=[("", _("Choose…")), *Guardian.Relation.choices],
        label=_("Relation to the patient"),
    )
    guardian_email = forms.EmailField(required=False, label=_("Guardian's email address"))
    guardian_phone = forms.CharField(
        required=False,
        max_length=30,
        label=_("Guardian's phone"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    guardian_consent_given = forms.BooleanField(
        required=False,
        label=_("The guardian signed consent to treatment and registry on the patient's behalf"),
    )
    guardian_consent_on = forms.DateField(
        required=False, widget=DATE_INPUT, label=_("Guardian's consent signed on")
    )
    guardian_receives_reminders = forms.BooleanField(
        required=False,
        label=_("Send the reminders to the guardian too"),
        help_text=_("By email. Reminders never mention the medicine, doses or tests."),
    )

    # The GuardianEntry's fields; each is a form field named with PREFIX.
    GUARDIAN_FIELDS = (
        "full_name",
        "relation",
        "email",
        "phone",
        "consent_given",
        "consent_on",
        "receives_reminders",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian_email"].widget.attrs["autocomplete"] = "off"
        instance = getattr(self, "instance", None)
        row = guardian_of(instance) if instance is not None and instance.pk else None
        if row is not None:
            for name in self.GUARDIAN_FIELDS:
                self.initial.setdefault(PREFIX + name, getattr(row, name))

    def guardian_entry(self) -> GuardianEntry | None:
        """The guardian as entered (cleaned values), or None when nothing was entered."""
        values = {name: self.cleaned_data.get(PREFIX + name) for name in self.GUARDIAN_FIELDS}
        if not any(values.values()):
            return None
        return GuardianEntry(
            full_name=values["full_name"] or "",
            relation=values["relation"] or "",
            email=values["email"] or "",
            phone=(values["phone"] or "").strip(),
            consent_given=bool(values["consent_given"]),
            consent_on=values["consent_on"],
            receives_reminders=bool(values["receives_reminders"]),
        )

    def clean_guardian_consent_on(self):
        day = self.cleaned_data["guardian_consent_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The guardian's consent date is in the future."))
        return day

    def clean_guardian(self, data: dict) -> None:
        """Called from PatientForm.clean: the guardian rule for the date of birth entered."""
        born = data.get("date_of_birth")
        if born is None:  # refused on its own; under 18 or not cannot be told
            return
        problems = guardian_problems(born, self.guardian_entry(), timezone.localdate())
        for name, message in problems.items():
            if not self.has_error(PREFIX + name):
                self.add_error(PREFIX + name, message)
