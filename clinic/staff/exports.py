"""Export of a list page's rows as CSV (streamed) or XLSX, safe to open in a spreadsheet.

Shared by every list page that exports (the patient list, the refused actions). The page
offers two formats, `?_export=csv` and `?_export=xlsx`; any other value of `_export` (json,
xls, empty, ...) exports nothing: the page shows itself with a message naming the two.

The CSV is streamed (issue 15). The export once built the whole django-tables2 table into a
tablib Dataset in memory (28 s and 9.4 MB in one response at 100,000 patients). Now the table
still says which columns there are, their headers, order and the page's ordering (?sort=), and
the filter says which rows; the rows are then read as values (`values_list`, no model
instances) through a server-side cursor 2,000 at a time, and each block of lines goes out as
it is written (`StreamingHttpResponse`), so the web process's memory stays flat whatever the
count. The bytes are the same as django-tables2's own export of the same table
(tests/staff/test_exports.py compares them).

How a column's cell is made from values, once per column (`column_cells`), then per row:

- a column whose table has a `value_FOO` (or `render_FOO`) method: that method reads a record,
  so the table says in `export_values` which fields the cell needs and the function that makes
  the same text of them (`ExportValue`), or that the cell is the field's choice label (`LABEL`);
- any other column: its accessor's field, shown as its choice label if it has choices (as
  get_FOO_display), through the column's own `render` (a date column's format).

As in django-tables2, a column whose accessor value is empty (its `empty_values`: None or ""
unless the column says otherwise) gives an empty cell.

XLSX (issue 15). The same header, rows, cells and order as the CSV of the same request, read
the same way (values, no model instances), written by tablib's xlsx format (openpyxl): a bold,
frozen header row, text with line breaks wrapped, each column as wide as its longest line (at
most XLSX_MAX_WIDTH). An XLSX file cannot be streamed: the whole workbook is built in memory
before its first byte is written, so it is offered up to XLSX_ROW_LIMIT rows, checked first by
one query that counts at most XLSX_ROW_LIMIT + 1 rows. Beyond it nothing is exported and the
page says so, pointing to the CSV, which has no limit. A cell holds what the CSV has, except
that None or "" is an empty cell, a number stays a number, a line break is a line feed (XML
reads a carriage return as one), and a control character that XML cannot carry (all but tab,
line feed and carriage return) is shown as U+FFFD; openpyxl keeps a cell's first 32,767
characters, the most a cell holds in Excel.

Language. A page is shown in its reader's language, but a file is data that travels: its header,
labels and dates are written in English whatever the page's language (EXPORT_LANGUAGE), so two
downloads of the same rows are the same file. The messages a page shows instead of a file are
translated.

Formula injection. A cell that starts with = + - @ (or a tab or carriage return) is read by
Excel, LibreOffice and Google Sheets as a formula, which can run commands or send the sheet's
data elsewhere; free text typed into the clinic (a name, a refusal's submitted value) must
never become one. Such a cell, headers included, is prefixed with an apostrophe, which
spreadsheets show as text (OWASP, "CSV Injection"). In the XLSX too: openpyxl stores a text
that starts with "=" as a formula, and after the apostrophe none does, so every text cell is
stored as text (tests/staff/test_exports.py opens the file and checks each cell's type).
"""

from __future__ import annotations

import csv
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import formats, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext, gettext_lazy
from django_tables2 import RequestConfig
from tablib import Dataset
from tablib.formats import registry

CSV, XLSX = "csv", "xlsx"
OFFERED = (CSV, XLSX)
CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per fetch from the server-side cursor, and per block of lines sent.
CHUNK_SIZE = 2000
# The most rows an XLSX export holds. openpyxl builds the whole workbook in memory, as Python
# objects, before it writes a byte, and the web worker's thread is busy all that time: about
# 2.5 KB and 0.2 ms a row of the patient list (xlsx_file on SQLite, on the 2-core development
# machine: 20,000 rows in 3.6 s and +49 MB of the process's peak memory, 50,000 in 11 s and
# +113 MB). The CSV is streamed in constant memory and has no limit.
XLSX_ROW_LIMIT = 20_000
# The widest an XLSX column is made, in characters (Excel's own ceiling is 255).
XLSX_MAX_WIDTH = 60
# The characters that XML 1.0, so an XLSX file, cannot carry (openpyxl refuses them).
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
UNOFFERED = gettext_lazy(
    "Exports are offered as CSV or XLSX only (the links above the list); nothing was exported."
)
# The language of every exported file's header, labels and dates (see the module's docstring).
EXPORT_LANGUAGE = "en-gb"


def too_many_rows(limit: int) -> str:
    return gettext(
        "An XLSX export holds at most %(limit)s rows, and this list has more; nothing was "
        "exported. Narrow the list with the filters, or export these rows as CSV, which has "
        "no limit."
    ) % {"limit": formats.number_format(limit, force_grouping=True)}


def in_export_language(lines: Iterator[str]) -> Iterator[str]:
    """The lines of a streamed file, each made in EXPORT_LANGUAGE: a stream is written after
    the view has returned, when the page's language is still the active one."""
    with translation.override(EXPORT_LANGUAGE):
        yield from lines


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


def export_headers(table: tables.Table) -> list:
    return [neutralise(force_str(c.header, strings_only=True)) for c in export_columns(table)]


def csv_lines(table: tables.Table, queryset) -> Iterator[str]:
    """The CSV file of `queryset` in `table`'s columns: the header line, then blocks of up to
    CHUNK_SIZE lines, each made as its rows are fetched. The columns are worked out now, in
    the request (a table that cannot be exported fails here, not halfway through a file)."""
    with translation.override(EXPORT_LANGUAGE):
        fields, cells = column_cells(table, queryset.model)
        headers = export_headers(table)
    rows = queryset.values_list(*fields)
    return in_export_language(_lines(headers, cells, rows))


def _lines(headers: list, cells: list, rows) -> Iterator[str]:
    return stream_csv(headers, rows, lambda row: [cell(row) for cell in cells])


def stream_csv(headers: list, rows, make_row: Callable[[object], list]) -> Iterator[str]:
    """The header line, then blocks of up to CHUNK_SIZE lines, each made as its rows are
    fetched from the queryset `rows` (`make_row(row)`: the line's values), every cell made
    inert for a spreadsheet (`neutralise`)."""
    writer = csv.writer(Echo())
    yield writer.writerow(headers)
    # On PostgreSQL a named cursor, WITH HOLD outside a transaction: it lives as long as the
    # (persistent) connection unless closed, so it is closed even when the download stops.
    fetched = rows.iterator(chunk_size=CHUNK_SIZE)
    try:
        block = []
        for row in fetched:
            block.append(writer.writerow([neutralise(value) for value in make_row(row)]))
            if len(block) == CHUNK_SIZE:
                yield "".join(block)
                block = []
        if block:
            yield "".join(block)
    finally:
        fetched.close()


def xlsx_value(value):
    """A cell of the CSV as an XLSX cell: None or "" is empty, a number stays a number, anything
    else is text, made inert (`neutralise`), with what XML cannot carry replaced and its line
    breaks as line feeds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = NOT_IN_XML.sub("\N{REPLACEMENT CHARACTER}", neutralise(str(value)))
    # A carriage return in XML text is read back as a line feed: written as one, plainly.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def xlsx_file(table: tables.Table, queryset, title: str) -> bytes:
    """The XLSX file of `queryset` in `table`'s columns, with the CSV's header, rows and
    order, on one sheet named `title`, in EXPORT_LANGUAGE as the CSV."""
    with translation.override(EXPORT_LANGUAGE):
        return _xlsx_file(table, queryset, title)


def _xlsx_file(table: tables.Table, queryset, title: str) -> bytes:
    fields, cells = column_cells(table, queryset.model)
    headers = [xlsx_value(header) for header in export_headers(table)]
    widths = [_width(header) for header in headers]
    dataset = Dataset(headers=headers, title=title[:31])
    fetched = queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE)
    try:
        for row in fetched:
            values = [xlsx_value(cell(row)) for cell in cells]
            widths = [
                max(width, _width(value)) for width, value in zip(widths, values, strict=True)
            ]
            dataset.append(values)
    finally:
        fetched.close()
    # openpyxl is imported when an XLSX is asked for, not by every process that loads the
    # URLs (0.3 s). tablib's xlsx format fills the sheet; the widths are set here, not by its
    # "adaptive" widths, which measure a whole cell, every line of it, with no ceiling (a
    # refusal's details can make a column hundreds of characters wide).
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = dataset.title
    registry.get_format(XLSX).dset_sheet(dataset, sheet, freeze_panes=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, XLSX_MAX_WIDTH)
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _width(value) -> int:
    text = "" if value is None else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def export_response(request, table: tables.Table, filename: str):
    """The download the request asks for (?_export=csv or ?_export=xlsx), else None.

    `filename` is the CSV's ("patients.csv"); the XLSX is named the same with .xlsx. An
    XLSX of more than XLSX_ROW_LIMIT rows, and any other `_export` (json, xls, empty, ...),
    export nothing and return None too, with a message saying why, so the page shows itself
    with that message above it (never a server error, never the rows in another format).
    """
    wanted = request.GET.get("_export")
    if wanted is None:
        return None
    if wanted not in OFFERED:
        messages.error(request, UNOFFERED)
        return None
    if wanted == XLSX:
        # One cheap query: a count of at most the limit + 1 rows, in no order. Before the
        # table is configured, so a refused export leaves it as the page expects it.
        limit = XLSX_ROW_LIMIT
        if table.data.data.order_by()[: limit + 1].count() > limit:
            messages.error(request, too_many_rows(limit))
            return None
    # The page's ordering (?sort=, else the table's own), on every row: no pagination.
    RequestConfig(request, paginate=False).configure(table)
    queryset = table.data.data
    if wanted == XLSX:
        name = filename.removesuffix(".csv")
        response = HttpResponse(xlsx_file(table, queryset, name), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = StreamingHttpResponse(csv_lines(table, queryset), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
