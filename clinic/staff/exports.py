"""CSV export of a list page's rows, streamed, and safe to open in a spreadsheet.

Shared by every list page that exports (the patient list, the refused actions).

Streamed (issue 15). The export once built the whole django-tables2 table into a tablib
Dataset in memory (28 s and 9.4 MB in one response at 100,000 patients). Now the table still
says which columns there are, their headers, order and the page's ordering (?sort=), and the
filter says which rows; the rows are then read as values (`values_list`, no model instances)
through a server-side cursor 2,000 at a time, and each block of lines goes out as it is
written (`StreamingHttpResponse`), so the web process's memory stays flat whatever the count.
The bytes are the same as django-tables2's own export of the same table
(tests/staff/test_exports.py compares them).

How a column's cell is made from values, once per column (`column_cells`), then per row:

- a column whose table has a `value_FOO` (or `render_FOO`) method: that method reads a record,
  so the table says in `export_values` which fields the cell needs and the function that makes
  the same text of them (`ExportValue`), or that the cell is the field's choice label (`LABEL`);
- any other column: its accessor's field, shown as its choice label if it has choices (as
  get_FOO_display), through the column's own `render` (a date column's format).

As in django-tables2, a column whose accessor value is empty (its `empty_values`: None or ""
unless the column says otherwise) gives an empty cell.

Formula injection. A cell that starts with = + - @ (or a tab or carriage return) is read by
Excel, LibreOffice and Google Sheets as a formula, which can run commands or send the sheet's
data elsewhere; free text typed into the clinic (a name, a refusal's submitted value) must
never become one. Such a cell, headers included, is prefixed with an apostrophe, which
spreadsheets show as text (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.utils.encoding import force_str
from django_tables2 import RequestConfig

CSV = "csv"
CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per fetch from the server-side cursor, and per block of lines sent.
CHUNK_SIZE = 2000
ONLY_CSV = (
    "Only a CSV export is offered (the “Export these rows as CSV” link); nothing was exported."
)


def neutralise(value):
    """The value, made inert for a spreadsheet if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportValue:
    """A column's exported cell made from values: `make(*values of fields)`, the same text as
    the table's value_FOO method makes of the record."""

    fields: tuple[str, ...]
    make: Callable[..., object] | None


# The cell is the accessor field's choice label, as get_FOO_display (and value_FOO) give it.
LABEL = ExportValue(fields=(), make=None)


class Echo:
    """A file for csv.writer that hands back each line instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def export_columns(table: tables.Table) -> list:
    """The bound columns the export has, in order: the ones django-tables2 exports."""
    return [column for column in table.columns.iterall() if not column.column.exclude_from_export]


def _own_method(table: tables.Table, name: str) -> str | None:
    for prefix in ("value_", "render_"):
        if hasattr(table, prefix + name):
            return prefix + name
    return None


def column_cells(table: tables.Table, model) -> tuple[list[str], list[Callable[[tuple], object]]]:
    """The fields to read (values_list paths) and, per exported column, the function that
    makes its cell from one row of those values."""
    fields: list[str] = []

    def index_of(path: str) -> int:
        if path not in fields:
            fields.append(path)
        return fields.index(path)

    cells = []
    for bound in export_columns(table):
        column, name = bound.column, bound.name
        path = str(bound.accessor).replace(".", "__")
        try:
            field = _field_of(model, path)
        except FieldDoesNotExist as error:
            raise ImproperlyConfigured(
                f"{type(table).__name__}.{name}: the export reads the values of model fields, "
                f"and {path!r} is none ({error})."
            ) from error
        key = index_of(path)
        labels = (
            {value: force_str(label, strings_only=True) for value, label in field.flatchoices}
            if field.choices
            else None
        )
        spec = getattr(table, "export_values", {}).get(name)
        if spec is None:
            method = _own_method(table, name)
            if method is not None:
                raise ImproperlyConfigured(
                    f"{type(table).__name__}.{method} reads the record; the export reads values: "
                    f"give {name!r} an export_values entry."
                )
            make, indexes = _render_of(table, column, name), None
        elif spec is LABEL:
            if labels is None:
                raise ImproperlyConfigured(f"{type(table).__name__}.{name}: no choices to label.")
            make, indexes = None, None
        else:
            make, indexes = spec.make, [index_of(path) for path in spec.fields]
        cells.append(_cell(key, labels, tuple(column.empty_values), make, indexes))
    return fields, cells


def _field_of(model, path: str):
    """The model field at the end of a values_list path ("prescriber__username")."""
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        model = field.related_model or model
    return field


def _render_of(table: tables.Table, column: tables.Column, name: str) -> Callable:
    """The column's own render, which the export may call with the value alone; a column's
    `renderer()`, when it has one, is that render made for a long run of values."""
    if type(column).value is not tables.Column.value:
        raise ImproperlyConfigured(
            f"{type(table).__name__}.{name}: {type(column).__name__} has its own value(); "
            "give the column an export_values entry."
        )
    if set(inspect.signature(column.render).parameters) != {"value"}:
        raise ImproperlyConfigured(
            f"{type(table).__name__}.{name}: {type(column).__name__}.render needs more than the "
            "value; give the column an export_values entry."
        )
    renderer = getattr(column, "renderer", None)
    return renderer() if renderer is not None else column.render


def _cell(key: int, labels: dict | None, empty_values: tuple, make, indexes):
    def cell(row: tuple):
        value = row[key]
        if labels is not None:
            value = labels.get(value, value)
        if value in empty_values:
            return None
        if make is None:  # LABEL
            return value
        if indexes is None:  # the column's own render
            return force_str(make(value), strings_only=True)
        return force_str(make(*[row[index] for index in indexes]), strings_only=True)

    return cell


def csv_lines(table: tables.Table, queryset) -> Iterator[str]:
    """The CSV file of `queryset` in `table`'s columns: the header line, then blocks of up to
    CHUNK_SIZE lines, each made as its rows are fetched. The columns are worked out now, in
    the request (a table that cannot be exported fails here, not halfway through a file)."""
    fields, cells = column_cells(table, queryset.model)
    headers = [neutralise(force_str(c.header, strings_only=True)) for c in export_columns(table)]
    rows = queryset.values_list(*fields)
    return _lines(headers, cells, rows)


def _lines(headers: list, cells: list, rows) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(headers)
    # On PostgreSQL a named cursor, WITH HOLD outside a transaction: it lives as long as the
    # (persistent) connection unless closed, so it is closed even when the download stops.
    fetched = rows.iterator(chunk_size=CHUNK_SIZE)
    try:
        block = []
        for row in fetched:
            block.append(writer.writerow([neutralise(cell(row)) for cell in cells]))
            if len(block) == CHUNK_SIZE:
                yield "".join(block)
                block = []
        if block:
            yield "".join(block)
    finally:
        fetched.close()


def export_response(request, table: tables.Table, filename: str):
    """The CSV download when the request asks for one (?_export=csv), else None.

    Only CSV, the one format the page offers: any other `_export` (xlsx, json, empty, ...)
    exports nothing and returns None too, with a message saying so, so the page shows itself
    with that message above it (never a server error, never the rows in another format).
    """
    wanted = request.GET.get("_export")
    if wanted is None:
        return None
    if wanted != CSV:
        messages.error(request, ONLY_CSV)
        return None
    # The page's ordering (?sort=, else the table's own), on every row: no pagination.
    RequestConfig(request, paginate=False).configure(table)
    response = StreamingHttpResponse(csv_lines(table, table.data.data), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
