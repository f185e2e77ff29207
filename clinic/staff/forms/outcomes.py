"""The outcomes report's filter: a range of start months and, if chosen, one prescriber. Read
from the query string; a bad value gets its message next to the field and the report shows the
default range instead of guessing."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.roles import Role

MONTH_FORMAT = "%Y-%m"
EARLIEST = datetime.date(2000, 1, 1)


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_before(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - count
    return datetime.date(index // 12, index % 12 + 1, 1)


def default_range(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last twelve months, this one included."""
    last = first_of_month(today or timezone.localdate())
    return months_before(last, 11), last


class MonthField(forms.DateField):
    """A month as <input type="month"> sends it: 2026-03 (the first of the month)."""

    widget = forms.DateInput(attrs={"type": "month"}, format=MONTH_FORMAT)
    input_formats = [MONTH_FORMAT]
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2026-03.")}

    def to_python(self, value):
        day = super().to_python(value)
        return first_of_month(day) if day else day


def prescribers():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.PRESCRIBER.value, is_active=True)
        .order_by("last_name", "first_name", "pk")
    )


class PrescriberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class OutcomesFilter(forms.Form):
    first = MonthField(label=_("Courses started from"), required=False)
    last = MonthField(label=_("to (month included)"), required=False)
    prescriber = PrescriberChoiceField(
        queryset=prescribers(),
        required=False,
        empty_label=_("Every prescriber"),
        label=_("Prescriber"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = prescribers()

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        default_first, default_last = default_range()
        if first is not None and first < EARLIEST:
            self.add_error("first", _("Choose a month from January 2000."))
        if last is not None and last > default_last:
            self.add_error("last", _("Choose this month or an earlier one."))
        if first and first > (last or default_last):
            self.add_error("last", _("The last month is before the first."))
        return cleaned

    def chosen(self) -> tuple[datetime.date, datetime.date, object | None]:
        """(first month, last month, prescriber or None): the defaults when not valid."""
        first, last = default_range()
        if not self.is_valid():
            return first, last, None
        data = self.cleaned_data
        return data.get("first") or first, data.get("last") or last, data.get("prescriber")
