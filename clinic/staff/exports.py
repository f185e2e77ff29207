"""CSV export of a django-tables2 table, safe to open in a spreadsheet.

Shared by every list page that exports (the patient list, the refused actions). A cell that
starts with = + - @ (or a tab or carriage return) is read by Excel, LibreOffice and Google
Sheets as a formula, which can run commands or send the sheet's data elsewhere; free text
typed into the clinic (a name, a refusal's submitted value) must never become one. Such a
cell is prefixed with an apostrophe, which spreadsheets show as text (OWASP, "CSV Injection").
"""

from __future__ import annotations

from django_tables2 import RequestConfig
from django_tables2.export import TableExport
from tablib import Dataset

CSV = "csv"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value, made inert for a spreadsheet if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SpreadsheetSafeExport(TableExport):
    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        rows = [[neutralise(value) for value in row] for row in dataset]
        headers = [neutralise(header) for header in dataset.headers or []]
        return Dataset(*rows, headers=headers, title=dataset.title)


def export_response(request, table, filename: str):
    """The CSV download when the request asks for one (?_export=csv), else None.

    Only CSV: the page offers nothing else, and the other formats tablib knows need
    packages the clinic does not install (a request for one would be a server error).
    """
    if request.GET.get("_export") != CSV:
        return None
    RequestConfig(request, paginate=False).configure(table)
    return SpreadsheetSafeExport(CSV, table, exclude_columns=()).response(filename)
