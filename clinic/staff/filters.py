"""The patient list's search and filters (django-filter)."""

import django_filters
from django import forms
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from clinic.staff.forms.patients import (
    PrescriberChoiceField,
    prescriber_queryset,
    validate_patient_search,
)
from registry.models import Patient
from registry.registry_id import normalize


class PrescriberFilter(django_filters.ModelChoiceFilter):
    field_class = PrescriberChoiceField


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name or registry ID"),
        method="search",
        validators=[validate_patient_search],
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. Rivera or 7KQ3")}),
    )
    status = django_filters.ChoiceFilter(
        choices=Patient.Status.choices, empty_label=_("Any status"), label=_("Status")
    )
    prescriber = PrescriberFilter(
        # Only prescribers, never every user: the menu stays short (django-filter#1143).
        queryset=prescriber_queryset(),
        empty_label=_("Any prescriber"),
        label=_("Prescriber"),
    )
    risk_category = django_filters.ChoiceFilter(
        choices=Patient.RiskCategory.choices,
        empty_label=_("Any risk category"),
        label=_("Risk category"),
    )

    class Meta:
        model = Patient
        fields = ["q", "status", "prescriber", "risk_category"]

    def search(self, queryset, name, value):
        """Every word must match a name or part of the registry ID (dashes optional)."""
        for word in value.split():
            compact = normalize(word)
            condition = Q(first_name__icontains=word) | Q(last_name__icontains=word)
            if len(compact) >= 3:
                condition |= Q(registry_id_compact__contains=compact)
            queryset = queryset.filter(condition)
        return queryset

    def filter_queryset(self, queryset):
        queryset = queryset.annotate(
            registry_id_compact=Replace("registry_id", Value("-"), Value(""))
        )
        return super().filter_queryset(queryset)
