"""Template filters of the portal: dates and dose times in the page's language, the clinic's
phone as a link, and the staff view's monthly confirmation summary."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy

from clinic.monitoring.models.visits import Contraception

register = template.Library()

RECENT = 3

# The date shapes the portal's sentences use. Each format is a message, so a language can add
# its own words and order ("viernes 11 de diciembre"); Django's catalogue names the days and
# months. The English ones are the pages' formats from before they were translated.
DATE_FORMATS = {
    # Translators: a date format (codes of Django's date filter): weekday, day and month, as
    # in "Friday 11 December". Escape literal letters with a backslash: "l j \d\e F".
    "weekday": pgettext_lazy("date format", "l j F"),
    # Translators: a date format (Django's date filter): "Friday 11 December 2026".
    "weekday_year": pgettext_lazy("date format", "l j F Y"),
    # Translators: a date format (Django's date filter): "11 December 2026".
    "long": pgettext_lazy("date format", "j F Y"),
    # Translators: a date format (Django's date filter) with the time: "11 December 2026, 14:30".
    "long_time": pgettext_lazy("date format", "j F Y, H:i"),
    # Translators: a date format (Django's date filter), short, with the weekday: "Fri 11 Dec".
    "short_weekday": pgettext_lazy("date format", "D j M"),
    # Translators: a date format (Django's date filter), short: "11 Dec".
    "short_day_month": pgettext_lazy("date format", "j M"),
    # Translators: a date format (Django's date filter), short: "11 Dec 2026".
    "short": pgettext_lazy("date format", "j M Y"),
}

# Time of day of a dose: entries keep "morning"/"evening" as data (the page's data-doses).
DOSE_TIMES = {
    "morning": pgettext_lazy("time of day of a dose", "Morning"),
    "evening": pgettext_lazy("time of day of a dose", "Evening"),
}
DOSE_TIMES_IN_A_LIST = {
    "morning": pgettext_lazy("time of day of a dose, in a list", "morning"),
    "evening": pgettext_lazy("time of day of a dose, in a list", "evening"),
}


@register.filter(expects_localtime=True, is_safe=False)
def portal_date(value, shape="long"):
    """`value` in one of DATE_FORMATS' shapes, in the active language."""
    if value in (None, ""):
        return ""
    return date_filter(value, str(DATE_FORMATS[shape]))


@register.filter
def dose_time(time_of_day, in_a_list=False):
    """'Morning' (or 'morning' within a list) in the active language."""
    names = DOSE_TIMES_IN_A_LIST if in_a_list else DOSE_TIMES
    return names.get(time_of_day, time_of_day)


@register.filter
def phone_link(phone, css_class="text-nowrap"):
    """The clinic's phone number as a tel: link, to be placed in a translated sentence."""
    return format_html(
        '<a class="{}" href="tel:{}">{}</a>', css_class, str(phone).replace(" ", ""), phone
    )


@register.filter
def contraception_labels(codes) -> list[str]:
    labels = dict(Contraception.choices)
    return [str(labels.get(code, code)) for code in codes or ()]


@register.filter
def recent_confirmations(patient):
    """The patient's last three monthly confirmations, newest first (one query)."""
    return list(patient.monthly_confirmations.order_by("-confirmed_on", "-pk")[:RECENT])
