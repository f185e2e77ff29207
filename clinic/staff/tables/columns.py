"""Table columns shared by every app's django-tables2 tables.

django-tables2's DateColumn and DateTimeColumn are TemplateColumns: they compile a small
template for every cell, which made dates most of a table's cost (thousands of Template()
calls per page, bench/run.py). These format in Python, the same way the `date` filter does:
aware datetimes shown in the clinic's zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import django_tables2 as tables
from django.utils import dateformat, timezone

# The format characters (django.utils.dateformat) that show nothing finer than the day, or
# than the minute, and nothing of the zone's name or offset.
DAY_CHARACTERS = frozenset("bdDEFjlLmMnNoStwWyYz")
MINUTE_CHARACTERS = DAY_CHARACTERS | frozenset("aAfgGhHiP")
# Texts a renderer keeps at most (a century of days is 36,525).
RENDERED_LIMIT = 100_000


class DateColumn(tables.Column):
    def __init__(self, *args, format: str, **kwargs):  # noqa: A002 - the name tables2 uses
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return dateformat.format(value, self.format)

    def renderer(self) -> Callable[[datetime.date], str]:
        """`render` for a long run of values (the CSV export): the same texts, each made once
        per day (or minute) the format shows rather than once per value, in the zone current
        now. Formatting was most of an export's time (1,000,000 patients, two dates each)."""
        shown = set(dateformat.re_formatchars.findall(str(self.format)))
        if shown <= DAY_CHARACTERS:
            step = "day"
        elif shown <= MINUTE_CHARACTERS:
            step = "minute"
        else:
            return self.render
        zone, texts, fmt = timezone.get_current_timezone(), {}, self.format

        def render(value):
            if isinstance(value, datetime.datetime):
                if timezone.is_aware(value):
                    value = value.astimezone(zone)
                key = value.date() if step == "day" else value.replace(second=0, microsecond=0)
            else:
                key = value
            text = texts.get(key)
            if text is None:
                if len(texts) >= RENDERED_LIMIT:
                    texts.clear()
                text = texts[key] = dateformat.format(value, fmt)
            return text

        return render


DateTimeColumn = DateColumn


def user_name(first_name: str, last_name: str, username: str) -> str:
    """A user's full name, else the username: User.get_full_name() or get_username(), from the
    values alone (the CSV export reads values, not records)."""
    return f"{first_name} {last_name}".strip() or username
