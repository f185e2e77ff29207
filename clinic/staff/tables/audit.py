"""The access log on the audit page (django-tables2 and django-filter), also used for its CSV
and XLSX export: the refused actions list's shape (tables/refusals.py), on RecordAccess."""

from __future__ import annotations

import json

import django_filters
import django_tables2 as tables
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from clinic.staff.exports import ExportValue
from clinic.staff.tables.columns import DateTimeColumn
from clinic.staff.tables.fast_rows import FastRowsTable
from clinic.staff.tables.refusals import (
    WHEN,
    RefusalFilter,
    export_patient,
    lines_html,
    person,
    person_of,
)
from registry.models import RecordAccess


def detail_lines(detail) -> list[str]:
    """What was asked, one "name: value" a line (an export's format and filter, the pharmacy
    of a look-up), from the stored JSON whatever its shape; names in order, as PostgreSQL's
    jsonb keeps no order of its own."""
    if not isinstance(detail, dict):
        return [json.dumps(detail)] if detail not in (None, "", [], {}) else []
    lines = []
    for key, value in sorted(detail.items()):
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "none"
        elif isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        if value not in (None, ""):
            lines.append(f"{key}: {value}")
    return lines


def export_detail(detail) -> str:
    return "\n".join(detail_lines(detail))


class AccessTable(FastRowsTable):
    at = DateTimeColumn(verbose_name=_("When"), format=WHEN)
    user = tables.Column(verbose_name=_("Who"), orderable=False)
    kind = tables.Column(verbose_name=_("Kind"), orderable=False)
    what = tables.Column(verbose_name=_("What"), orderable=False)
    # Empty for a bulk export: its filter is under "Asked for".
    patient = tables.Column(verbose_name=_("Patient"), orderable=False)
    detail = tables.Column(verbose_name=_("Asked for"), orderable=False, empty_values=())

    class Meta(FastRowsTable.Meta):
        model = RecordAccess
        fields = []
        sequence = ["at", "user", "kind", "what", "patient", "detail"]
        attrs = {"class": "table table-sm align-middle", "data-testid": "accesses"}
        order_by = ("-at",)
        empty_text = _("Nobody's access matches.")

    # The export reads values, not records (clinic/staff/exports.py).
    export_values = {
        "user": ExportValue(("user__first_name", "user__last_name", "user__username"), person_of),
        "patient": ExportValue(
            ("patient__first_name", "patient__last_name", "patient__registry_id"), export_patient
        ),
        "detail": ExportValue(("detail",), export_detail),
    }

    def order_at(self, queryset, is_descending):
        """Newest first, stable within an instant (pages neither repeat nor skip a row); the
        (at) index serves it."""
        sign = "-" if is_descending else ""
        return queryset.order_by(f"{sign}at", f"{sign}pk"), True

    def render_user(self, value):
        return person(value)

    def value_user(self, value):
        return person(value)

    def render_patient(self, value):
        # Registry admins do not open patient pages: the link narrows this page to the patient.
        url = reverse("staff:audit") + "?" + urlencode({"patient": value.registry_id})
        registry_id = format_html('<span class="font-monospace small">{}</span>', value.registry_id)
        return format_html('<a href="{}">{}</a> {}', url, value.full_name, registry_id)

    def value_patient(self, value):
        return f"{value.full_name} ({value.registry_id})"

    def render_detail(self, value):
        return lines_html(detail_lines(value))

    def value_detail(self, value):
        return export_detail(value)


class AccessFilter(RefusalFilter):
    """The refused actions' filter (dates as the clinic's days, user, registry ID with its
    check character verified), on the access log's own kinds."""

    kind = django_filters.ChoiceFilter(
        choices=RecordAccess.Kind.choices, empty_label=_("Any kind"), label=_("Kind")
    )
    user = django_filters.CharFilter(
        label=_("Who (username)"),
        field_name="user__username",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = RecordAccess
        fields = ["date_from", "date_to", "kind", "user", "patient"]
