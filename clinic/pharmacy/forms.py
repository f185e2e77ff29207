"""Forms for dispensing: look up a prescription, reverse an authorization."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.models import Pharmacy


class DispenseLookupForm(forms.Form):
    registry_id = forms.CharField(
        label=_("Registry ID"),
        max_length=20,
        help_text=_("As the patient or clinic reads it, e.g. 7KQ3-M9XP-4 (dashes optional)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    prescription = forms.IntegerField(
        label=_("Prescription number"),
        required=False,
        min_value=1,
        help_text=_("Leave empty for the patient's latest prescription."),
    )


class PharmacyChoiceForm(forms.Form):
    pharmacy = forms.ModelChoiceField(
        label=_("Pharmacy"), queryset=Pharmacy.objects.select_related("certification")
    )


class OnBehalfLookupForm(DispenseLookupForm):
    pharmacy = forms.ModelChoiceField(
        label=_("Pharmacy"),
        queryset=Pharmacy.objects.select_related("certification").order_by("name"),
        help_text=_("The pharmacy that will hand out the medicine."),
    )

    field_order = ["pharmacy", "registry_id", "prescription"]


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it reversed?"),
        initial=_("Not picked up"),
        max_length=500,
    )
