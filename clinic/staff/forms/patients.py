"""Forms for enrolment, editing, status changes and the patient list search."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.accounts.roles import Role
from clinic.staff.forms.guardians import GuardianFields
from registry.models import Patient, PriorTreatment
from registry.models.patients import MINIMUM_AGE_YEARS, age_on
from registry.phones import PHONE_INVALID
from registry.registry_id import is_valid, normalize
from registry.services import PATIENT_DETAILS, PriorTreatmentEntry

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _email_taken(url: str, patient: str) -> SafeString:
    return format_html(
        gettext('This email belongs to <a href="{}">{}</a>, already in the registry.'), url, patient
    )


# Lazy like every other message of the form: the page shows it in the reader's language, and
# the refusal log (clinic.staff.refusals) writes it in English.
email_taken = lazy(_email_taken, SafeString)


class PrescriberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


def prescriber_queryset():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.PRESCRIBER.value, is_active=True)
        .order_by("last_name", "first_name")
    )


class PatientForm(GuardianFields, forms.ModelForm):
    """Enrolment and edit form: one page, in the order a nurse fills it in. The guardian's
    fields (required under 18) come from GuardianFields."""

    prescriber = PrescriberChoiceField(queryset=prescriber_queryset(), label=_("Prescriber"))
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label=_("This is a different person with the same name and date of birth"),
    )

    class Meta:
        model = Patient
        fields = list(PATIENT_DETAILS)  # what registry.services takes
        widgets = {
            "date_of_birth": DATE_INPUT,
            "consent_treatment_on": DATE_INPUT,
            "risk_category": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "consent_treatment_on": _("Consent to treatment and registry signed on"),
            "language": _("Language of the portal and messages"),
        }
        help_texts = {
            "risk_category": _(
                "Chosen by the prescriber. Decides pregnancy testing and pick-up windows."
            ),
            "reminder_channel": _("Reminders never mention the medicine, doses or tests."),
            "language": _("The patient's portal pages, reminders and texts are written in it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent_treatment_on"].required = True
        self.fields["risk_category"].choices = Patient.RiskCategory.choices  # no blank choice
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        # Stored in E.164 (docs/SMS.md); a number without a country code is read as local.
        # A plain input: a refused number is shown again as typed (the library's widget showed
        # its own reading of it, e.g. "07700 90012" as "770090012").
        self.fields["phone"].error_messages["invalid"] = PHONE_INVALID
        self.fields["phone"].widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
        # Left out (an older form, a spreadsheet row without the column): kept as it is.
        self.fields["language"].required = False
        self.possible_duplicates: list[Patient] = []

    def details(self) -> dict:
        """The patient's details, by name, for registry.services (enrol_patient, update_patient)."""
        return {
            name: self.cleaned_data[name] for name in PATIENT_DETAILS if name in self.cleaned_data
        }

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth is in the future."))
        if age_on(born, today) < MINIMUM_AGE_YEARS:
            raise forms.ValidationError(
                _(
                    "Patients must be at least %(minimum)s years old (R11); this date of birth "
                    "makes them %(age)s."
                ),
                params={"minimum": MINIMUM_AGE_YEARS, "age": age_on(born, today)},
            )
        return born

    def clean_language(self):
        return self.cleaned_data["language"] or self.instance.language or Patient.Language.ENGLISH

    def clean_consent_treatment_on(self):
        day = self.cleaned_data["consent_treatment_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The consent date is in the future."))
        return day

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if not email:
            return email
        existing = Patient.objects.filter(email__iexact=email)
        if self.instance.pk:
            existing = existing.exclude(pk=self.instance.pk)
        match = existing.first()
        if match:
            raise forms.ValidationError(
                email_taken(reverse("staff:patient-detail", args=[match.pk]), str(match))
            )
        return email

    def clean(self):
        data = super().clean()
        consent, channel = data.get("reminder_consent"), data.get("reminder_channel")
        if consent and not channel:
            self.add_error("reminder_channel", _("Choose how the patient wants reminders."))
        if consent and channel == Patient.ReminderChannel.EMAIL and not data.get("email"):
            self.add_error("email", _("Reminders by email need an email address."))
        texts = consent and channel == Patient.ReminderChannel.SMS
        # A refused number was already told why, next to the field.
        if texts and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Reminders by text message need a phone number."))
        born, consent_day = data.get("date_of_birth"), data.get("consent_treatment_on")
        if born and consent_day and consent_day < born:
            self.add_error("consent_treatment_on", _("Consent cannot predate the date of birth."))
        self._check_same_person(data)
        self.clean_guardian(data)
        return data

    def _check_same_person(self, data):
        first, last, born = data.get("first_name"), data.get("last_name"), data.get("date_of_birth")
        if not (first and last and born):
            return
        same = Patient.objects.filter(
            first_name__iexact=first.strip(), last_name__iexact=last.strip(), date_of_birth=born
        )
        if self.instance.pk:
            same = same.exclude(pk=self.instance.pk)
        self.possible_duplicates = list(same[:5])
        if self.possible_duplicates and not data.get("confirm_not_duplicate"):
            self.add_error(
                "confirm_not_duplicate",
                _(
                    "A patient with the same name and date of birth is already enrolled. Open "
                    "their record, or tick this box if this is a different person."
                ),
            )


class PriorTreatmentRowForm(forms.Form):
    """One row per kind of earlier treatment: tried or not, roughly when, how it went."""

    kind = forms.ChoiceField(choices=PriorTreatment.Kind.choices, widget=forms.HiddenInput)
    tried = forms.BooleanField(required=False)
    other_text = forms.CharField(required=False, max_length=200, label=_("What"))
    started_on = forms.DateField(required=False, widget=DATE_INPUT, label=_("Started (roughly)"))
    outcome = forms.ChoiceField(
        choices=PriorTreatment.Outcome.choices, initial=PriorTreatment.Outcome.UNKNOWN
    )

    @property
    def kind_label(self):
        """The row's treatment as the page names it; "" for a kind that is not one (the hidden
        field tampered with), which the formset refuses."""
        kind = self.initial.get("kind") or self.data.get(self.add_prefix("kind"))
        return KIND_LABELS.get(kind, "") if isinstance(kind, str) else ""

    @property
    def row_label(self):
        """How a refusal names this row (clinic.staff.refusals): in the refusal log only, which
        stays in English."""
        return f"Earlier treatment {self.kind_label}" if self.kind_label else ""

    def clean(self):
        data = super().clean()
        if not data.get("tried"):
            return data
        if data.get("kind") == PriorTreatment.Kind.OTHER and not data.get("other_text"):
            self.add_error("other_text", _("Say which other treatment was tried."))
        started = data.get("started_on")
        if started and started > timezone.localdate():
            self.add_error("started_on", _("The start date is in the future."))
        return data


KIND_LABELS = {kind.value: kind.label for kind in PriorTreatment.Kind}
ROWS_CHANGED = _(
    "The earlier-treatment rows were changed before they were sent (one row per treatment is "
    "expected). Nothing was saved; tick the treatments again and save."
)


class BasePriorTreatmentFormSet(forms.BaseFormSet):
    """The page sends one row per kind of earlier treatment, each kind once, in a hidden
    field. Rows that are not exactly those (a kind changed, repeated or missing, rows added or
    taken away, the counts made up) come from outside the page: refused as a whole, with a
    message above the rows, rather than saved in part or answered with a server error."""

    def clean(self):
        posted = [form.data.get(form.add_prefix("kind")) for form in self.forms]
        if sorted(map(str, posted)) != sorted(KIND_LABELS):
            raise forms.ValidationError(ROWS_CHANGED, code="rows_changed")


# At most one row per kind however large the posted count: Django builds no more forms than
# absolute_max, and validate_max/validate_min refuse a count that is not the kinds' number.
PriorTreatmentFormSet = forms.formset_factory(
    PriorTreatmentRowForm,
    formset=BasePriorTreatmentFormSet,
    extra=0,
    min_num=len(PriorTreatment.Kind),
    max_num=len(PriorTreatment.Kind),
    absolute_max=len(PriorTreatment.Kind),
    validate_min=True,
    validate_max=True,
)


def prior_treatment_initial(patient: Patient | None) -> list[dict]:
    existing = {}
    if patient is not None and patient.pk:
        existing = {row.kind: row for row in patient.prior_treatments.all()}
    rows = []
    for kind in PriorTreatment.Kind:
        row = existing.get(kind)
        rows.append(
            {
                "kind": kind.value,
                "tried": row is not None,
                "other_text": row.other_text if row else "",
                "started_on": row.started_on if row else None,
                "outcome": row.outcome if row else PriorTreatment.Outcome.UNKNOWN,
            }
        )
    return rows


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Patient.Status.choices, label=_("Status"))
    reason = forms.CharField(
        required=False,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when withdrawing. Nothing is deleted."),
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Patient.Status.WITHDRAWN and not data.get("reason", "").strip():
            self.add_error("reason", _("Give the reason the patient is withdrawn."))
        return data


_SEARCH_ALLOWED = re.compile(r"^[\w\s'.-]*$")
_FULL_ID_WITH_DASHES = re.compile(r"^[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]$")
_NINE_CHARACTERS = re.compile(r"^[0-9A-Za-z]{9}$")


def _looks_like_a_whole_id(text: str) -> bool:
    # Nine letters alone could be a name ("Christina"); with a digit or dashes it is an ID.
    if _FULL_ID_WITH_DASHES.match(text):
        return True
    return bool(_NINE_CHARACTERS.match(text)) and any(c.isdigit() for c in text)


def validate_patient_search(text: str) -> str:
    """Refuse a search the list cannot mean: odd characters, or a whole ID with a typo."""
    text = text.strip()
    if not _SEARCH_ALLOWED.match(text):
        raise forms.ValidationError(
            _("Search by name or registry ID: letters, digits, spaces, hyphens and apostrophes.")
        )
    if _looks_like_a_whole_id(text) and not is_valid(text):
        raise forms.ValidationError(
            _(
                "%(text)s is not a valid registry ID: its check character does not match. One "
                "character may be mistyped; a part of the ID also works."
            ),
            params={"text": text},
        )
    return text


def compact_search_id(text: str) -> str:
    return normalize(text)


def prior_treatment_entries(formset) -> list[PriorTreatmentEntry]:
    """The valid formset's rows as the typed entries registry.services takes."""
    return [
        PriorTreatmentEntry(
            kind=row["kind"],
            tried=bool(row.get("tried")),
            other_text=row.get("other_text") or "",
            started_on=row.get("started_on"),
            outcome=row.get("outcome") or "",
        )
        for row in formset.cleaned_data
        if row
    ]
