"""The refused actions list (django-tables2 and django-filter), also used for its CSV export.

A clinic module because it brings dosing's refusal records together with registry patients
and users (DESIGN.md); registry, lower down, cannot name RefusedAction.
"""

from __future__ import annotations

import datetime

import django_filters
import django_tables2 as tables
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.staff.exports import LABEL, ExportValue
from clinic.staff.tables.columns import DateTimeColumn
from clinic.staff.tables.fast_rows import FastRowsTable
from dosing.models import RefusedAction
from dosing.wording import say
from registry.registry_id import format_id, is_valid, normalize

WHEN = "j M Y H:i"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# What was tried is a summary: a refused visit form has a score of fields.
SUMMARY_LIMIT = 400


def person(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def person_of(first_name: str, last_name: str, username: str) -> str:
    """person() from the values alone (the CSV export reads values, not records)."""
    name = f"{first_name} {last_name}".strip()
    return f"{name} ({username})" if name else username


def tried(record: RefusedAction, limit: int | None = SUMMARY_LIMIT) -> list[str]:
    """What was tried, one "what: value" a line: the records it names, then what was typed;
    about `limit` characters in all (None: every line, as the CSV export has them)."""
    return tried_lines(
        record.course.number if record.course_id else None,
        record.prescription_id,
        record.pharmacy.name if record.pharmacy_id else None,
        record.details,
        limit=limit,
    )


def tried_lines(
    course_number, prescription_id, pharmacy_name, details, limit: int | None = SUMMARY_LIMIT
) -> list[str]:
    """tried() from the values alone (the CSV export reads values, not records). The words are
    the reader's language on a page, English in an export (exports.EXPORT_LANGUAGE); the
    submitted fields' names are as stored."""
    lines = []
    if course_number is not None:
        lines.append(gettext("course: %(number)s") % {"number": course_number})
    if prescription_id:
        lines.append(gettext("prescription: #%(number)s") % {"number": prescription_id})
    if pharmacy_name is not None:
        lines.append(gettext("pharmacy: %(name)s") % {"name": pharmacy_name})
    details = details if isinstance(details, dict) else {}
    for key, value in details.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        lines.append(f"{str(key).replace('_', ' ')}: {value}")
    summary, length = [], 0
    for line in lines:
        length += len(line)
        if limit is not None and length > limit:
            summary.append(gettext("… and %(count)s more") % {"count": len(lines) - len(summary)})
            break
        summary.append(line)
    return summary


def reasons_of(record: RefusedAction) -> list[str]:
    return reason_lines(record.reasons)


def reason_lines(reasons) -> list[str]:
    return [str(reason) for reason in reasons] if isinstance(reasons, list) else [str(reasons)]


def export_tried(course_number, prescription_id, pharmacy_name, details) -> str:
    return "\n".join(tried_lines(course_number, prescription_id, pharmacy_name, details, None))


def export_reasons(reasons) -> str:
    return "\n".join(reason_lines(reasons))


def export_patient(first_name: str, last_name: str, registry_id: str) -> str:
    """value_patient from the values: the patient's full name and registry ID."""
    return f"{first_name} {last_name} ({registry_id})"


def lines_html(lines: list[str]):
    if not lines:
        return "—"
    items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    return format_html('<ul class="list-unstyled mb-0">{}</ul>', items)


class RefusalTable(FastRowsTable):
    at = DateTimeColumn(verbose_name=_("When"), format=WHEN)
    kind = tables.Column(verbose_name=_("Kind"))
    user = tables.Column(verbose_name=_("By"), orderable=False)
    patient = tables.Column(verbose_name=_("Patient"), orderable=False)
    tried = tables.Column(
        verbose_name=_("What was tried"), accessor="details", orderable=False, empty_values=()
    )
    reasons = tables.Column(verbose_name=_("Reasons"), orderable=False, empty_values=())

    class Meta(FastRowsTable.Meta):
        model = RefusedAction
        fields = []
        sequence = ["at", "kind", "user", "patient", "tried", "reasons"]
        attrs = {"class": "table table-sm align-middle", "data-testid": "refusals"}
        order_by = ("-at",)
        empty_text = _("No refused action matches.")

    # The CSV export reads values, not records (clinic/staff/exports.py): for each column with
    # a value_ method below, the fields its cell needs and the same text made of them.
    export_values = {
        "kind": LABEL,
        "user": ExportValue(("user__first_name", "user__last_name", "user__username"), person_of),
        "patient": ExportValue(
            ("patient__first_name", "patient__last_name", "patient__registry_id"), export_patient
        ),
        "tried": ExportValue(
            ("course__number", "prescription", "pharmacy__name", "details"), export_tried
        ),
        "reasons": ExportValue(("reasons",), export_reasons),
    }

    def __init__(self, *args, link_patients: bool = True, **kwargs):
        # Registry admins read refusals but not patient pages: no link that answers 404.
        self.link_patients = link_patients
        super().__init__(*args, **kwargs)

    def order_at(self, queryset, is_descending):
        """Newest first, and in a stable order within the same instant (pages do not
        repeat or skip a row); the (at) index serves it."""
        sign = "-" if is_descending else ""
        return queryset.order_by(f"{sign}at", f"{sign}pk"), True

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return record.get_kind_display()

    def render_user(self, value):
        return person(value)

    def value_user(self, value):
        return person(value)

    def render_patient(self, value):
        registry_id = format_html('<span class="font-monospace small">{}</span>', value.registry_id)
        if not self.link_patients:
            return format_html("{} {}", value.full_name, registry_id)
        url = reverse("staff:patient-detail", args=[value.pk])
        return format_html('<a href="{}">{}</a> {}', url, value.full_name, registry_id)

    def value_patient(self, value):
        return f"{value.full_name} ({value.registry_id})"

    def render_tried(self, record):
        return lines_html(tried(record))

    def value_tried(self, record):
        return "\n".join(tried(record, limit=None))

    def render_reasons(self, record):
        return lines_html([say(reason) for reason in reasons_of(record)])  # the CSV: English

    def value_reasons(self, record):
        return "\n".join(reasons_of(record))


def validate_registry_id(text: str) -> None:
    if text.strip() and not is_valid(text):
        raise forms.ValidationError(
            _(
                "%(text)s is not a whole registry ID (four characters, four, then the check "
                "character); one character may be mistyped."
            ),
            params={"text": text.strip()},
        )


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the clinic, so a day means the clinic's day whatever the server's zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class RefusalFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(label=_("From"), method="from_day", widget=DATE_INPUT)
    date_to = django_filters.DateFilter(label=_("To"), method="to_day", widget=DATE_INPUT)
    kind = django_filters.ChoiceFilter(
        choices=RefusedAction.Kind.choices, empty_label=_("Any kind"), label=_("Kind")
    )
    # Text, not a menu of users: a menu would list every account (django-filter#1143).
    user = django_filters.CharFilter(
        label=_("By (username)"),
        field_name="user__username",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    patient = django_filters.CharFilter(
        label=_("Patient registry ID"),
        method="by_registry_id",
        validators=[validate_registry_id],
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. 7KQ3-…")}),
    )

    class Meta:
        model = RefusedAction
        fields = ["date_from", "date_to", "kind", "user", "patient"]

    # Ranges on the column itself (not its date), so the (at) indexes serve them. The first
    # and last years a date input allows mean "no limit": their midnights, moved to UTC, may
    # fall outside what a datetime can hold.
    def from_day(self, queryset, name, value):
        if value.year <= datetime.MINYEAR:
            return queryset
        return queryset.filter(at__gte=day_start(value))

    def to_day(self, queryset, name, value):
        if value.year >= datetime.MAXYEAR:
            return queryset
        return queryset.filter(at__lt=day_start(value + datetime.timedelta(days=1)))

    def by_registry_id(self, queryset, name, value):
        return queryset.filter(patient__registry_id=format_id(normalize(value)))
