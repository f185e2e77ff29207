"""The month asked for by the monthly steps' pages: the counselling confirmation (POST) and the
month's CSV (GET). A month is "YYYY-MM" (what a browser's month field sends), read through
dosing.monthly_steps.Month, the one definition of a month."""

from django import forms
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from dosing.monthly_steps import Month


class MonthInput(forms.TextInput):
    """A browser's month field. A value that is not a month is not written back into it (the
    field would be invalid HTML and show empty anyway); the error next to it quotes none."""

    input_type = "month"

    def format_value(self, value):
        text = super().format_value(value)
        try:
            return str(Month.parse(text))
        except ValueError:
            return None


class MonthField(forms.CharField):
    """A calendar month as "2026-12"; cleaned to a Month."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 7)
        kwargs.setdefault("widget", MonthInput)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # The length is checked here; a month field takes no maxlength attribute.
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def clean(self, value):
        text = super().clean(value)
        try:
            return Month.parse(text)
        except ValueError as error:
            # The message itself, lazy: shown in the reader's language, logged in English.
            raise forms.ValidationError(error.args[0], code="month") from None


class CounsellingForm(forms.Form):
    """The month the prescriber confirms counselling for (the card's hidden field)."""

    month = MonthField(widget=forms.HiddenInput)


class MonthStepsForm(forms.Form):
    """The month of the CSV: this month or an earlier one."""

    month = MonthField(
        label=_("Month"),
        help_text=_("Year and month, for example 2026-12; this month or an earlier one."),
    )

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month > Month.current():
            raise forms.ValidationError(
                _("%(month)s has not started yet: choose this month or an earlier one."),
                code="future",
                params={"month": dateformat.format(month.first, "F Y")},
            )
        return month
