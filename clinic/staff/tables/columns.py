"""Table columns shared by every app's django-tables2 tables.

django-tables2's DateColumn and DateTimeColumn are TemplateColumns: they compile a small
template for every cell, which made dates most of a table's cost (thousands of Template()
calls per page, bench/run.py). These format in Python, the same way the `date` filter does:
aware datetimes shown in the clinic's zone.
"""

from __future__ import annotations

import datetime

import django_tables2 as tables
from django.utils import dateformat, timezone


class DateColumn(tables.Column):
    def __init__(self, *args, format: str, **kwargs):  # noqa: A002 - the name tables2 uses
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return dateformat.format(value, self.format)


DateTimeColumn = DateColumn
