"""The body rows of a django-tables2 table, made without tables2's per-cell machinery (issue
15, lever 2).

django-tables2 draws a row through its template: for every cell a BoundRow.get_cell (a new
Accessor, the choices lookup, call_with_appropriate), then BoundColumn.attrs (the table's and
the column's attrs merged, computed_values, an AttributeDict, the class set sorted) and three
template tags. That was most of a page's table cost (bench/table_rows.py measures it). Here the
same steps are worked out once per column per render, and each row is one string join:

- the value: the column's accessor, with get_FOO_display() for a field with choices, and the
  column's empty_values and default, as BoundRow._get_and_render_with has them;
- the content: the table's render_FOO or the column's render, called with the arguments its
  signature asks for (inspected once per render, not once per cell), then linkify;
- the <td>: its attributes computed once when nothing in them is callable, else per cell as
  tables2 does; the content shown as `{{ cell }}` shows it (conditional_escape, localize).

The head, the empty text, the outer markup and pagination stay django-tables2's own template
(staff/tables/table.html extends it and replaces only the rows), so ordering, `?sort=` links
and attrs behave as before. The rows are whatever tables2 would draw (table.paginated_rows: the
page's rows, else table.rows), and the HTML is byte for byte tables2's (tests/staff/
test_fast_rows.py renders both). A column this module does not know (any type but those in
FAST_COLUMN_TYPES: a TemplateColumn, a link or many-to-many column, a third-party column) is
drawn by tables2's own BoundRow.get_cell, in the same row; a table with a footer is drawn by
tables2 entirely (its footer attributes see the last row's cells).
"""

from __future__ import annotations

from collections.abc import Callable

import django_tables2 as tables
import django_tables2.utils as tables2_utils
from django.db import models
from django.template import Context, Engine
from django.template.base import render_value_in_context
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.rows import BoundRow
from django_tables2.utils import A, AttributeDict

from clinic.staff.tables.columns import DateColumn

FAST_ROWS_TEMPLATE = "staff/tables/table.html"

# Column types whose cells tables2 makes with nothing but the generic BoundRow steps this
# module repeats. By exact type: a subclass may change anything, so it is drawn by tables2
# until it is added here (with its case in tests/staff/test_fast_rows.py).
FAST_COLUMN_TYPES = (tables.Column, DateColumn)

# The text django_tables2/bootstrap5.html puts around a row and a cell, so the page is byte
# for byte what tables2 draws (the template's indentation, kept as it renders).
ROW_OPEN = "\n                    \n                    <tr "
ROW_CELLS = ">\n                        "
CELL_OPEN = "\n                            <td "
CELL_CLOSE = "</td>\n                        "
ROW_CLOSE = "\n                    </tr>\n                    \n                "

# What call_with_appropriate offers a cell's render function (BoundRow._optional_cell_arguments).
CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")
PER_ROW_ARGUMENTS = ("value", "record", "bound_row")

# bootstrap5.html's `<td>` content for a column with `localize` set, as it has it.
LOCALIZED = "{% load l10n %}{{ cell|localize }}"
UNLOCALIZED = "{% load l10n %}{{ cell|unlocalize }}"

Cell = Callable[[object, BoundRow], str]  # (record, row) -> the <td> and its content


class FastRowsTable(tables.Table):
    """A django-tables2 table whose body rows are made by render_rows (this module).

    A subclass's own `class Meta` replaces this one (tables2 reads only the class's own Meta),
    so it inherits from it: `class Meta(FastRowsTable.Meta)`.
    """

    class Meta:
        template_name = FAST_ROWS_TEMPLATE

    def fast_rows(self) -> str:
        """The <tr> elements of the body, for staff/tables/table.html; "" when there are none,
        or when tables2 must draw the body itself (the template then does)."""
        return render_rows(self)


def render_rows(table: tables.Table) -> str:
    if table.has_footer():
        # tables2 computes the footer's attributes after the rows, with the last row's cells
        # still set on each column; leave such a table to it whole.
        return ""
    cells: list[Cell] | None = None
    row_attrs = RowAttrs(table)
    parts = []
    for row in table.paginated_rows:
        if cells is None:  # worked out at the first row: an empty table costs nothing more
            context = Context(autoescape=Engine.get_default().autoescape)
            urls = AbsoluteUrls()
            cells = [column_cell(table, column, context, urls) for column in table.columns]
        record = row.record
        parts.append(ROW_OPEN + row_attrs(row) + ROW_CELLS)
        parts.extend([cell(record, row) for cell in cells])
        parts.append(ROW_CLOSE)
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped as tables2 escapes it


class AbsoluteUrls:
    """get_absolute_url() of the last object asked, kept until another is asked: the columns
    of a row that link to the same object (the patient list's registry ID and name) reverse
    its URL once. A URL is taken to depend on the object alone, as get_absolute_url's does."""

    def __init__(self):
        self.held = None
        self.url = None

    def __call__(self, target) -> str:
        if target is not self.held:
            self.url = target.get_absolute_url()
            self.held = target
        return self.url


class RowAttrs:
    """A row's `<tr>` attributes: BoundRow.attrs, worked out once for even rows and once for
    odd rows when the table's row_attrs hold nothing callable (they cannot differ then)."""

    def __init__(self, table: tables.Table):
        self.static = not has_callable(table.row_attrs)
        self.known: dict[int, str] = {}

    def __call__(self, row: BoundRow) -> str:
        if not self.static or type(row) is not BoundRow:  # pinned rows have their own attrs
            return row.attrs.as_html()
        parity = row.row_counter % 2
        html = self.known.get(parity)
        if html is None:
            html = self.known[parity] = row.attrs.as_html()
        return html


def has_callable(attrs) -> bool:
    """Whether computed_values (and AttributeDict.as_html) would call anything in `attrs`."""
    return any(
        callable(value) or (isinstance(value, dict) and has_callable(value))
        for value in attrs.values()
    )


def column_cell(table: tables.Table, bound_column, context: Context, urls: AbsoluteUrls) -> Cell:
    """The function that makes one column's `<td>` from a record, worked out once per render."""
    content = cell_content(table, bound_column, urls)
    show = shown(bound_column.column.localize, context)
    td_html = static_td_attrs(table, bound_column)
    if td_html is not None:
        opening = CELL_OPEN + td_html + ">"

        def cell(record, row):
            return opening + show(content(record, row)) + CELL_CLOSE

        return cell

    def cell_with_computed_attrs(record, row):
        # As BoundRow.items() does before the template asks for column.attrs.td: the cell
        # and its record are what a callable attribute is given.
        value = content(record, row)
        bound_column.current_value = value
        bound_column.current_record = record
        td = bound_column.attrs["td"].as_html()
        return CELL_OPEN + td + ">" + show(value) + CELL_CLOSE

    return cell_with_computed_attrs


def static_td_attrs(table: tables.Table, bound_column) -> str | None:
    """The column's `<td>` attributes when they are the same for every cell, else None."""
    if type(table).get_column_class_names is not tables.Table.get_column_class_names:
        return None  # a table's own class names may look at the cell being drawn
    attrs = dict(table.attrs)
    attrs.update(dict(bound_column.column.attrs))
    td = attrs.get("td", attrs.get("cell", {}))
    if has_callable(td):
        return None
    return bound_column.attrs["td"].as_html()


def cell_content(
    table: tables.Table, bound_column, urls: AbsoluteUrls
) -> Callable[[object, BoundRow], object]:
    """What tables2's BoundRow.get_cell returns for the column (before `{{ cell }}`), as one
    function of (record, row)."""
    column = bound_column.column
    name = bound_column.name
    if type(column) not in FAST_COLUMN_TYPES or not isinstance(bound_column.accessor, str):
        return lambda record, row: row.get_cell(name)  # tables2's own cell

    accessor = A(bound_column.accessor)
    path, _, remainder = accessor.rpartition(accessor.SEPARATOR)
    parent = A(path)
    display_name = f"get_{remainder}_display"
    choices_by_type: dict[type, bool] = {}
    empty_values = column.empty_values
    default = cell_default(bound_column)
    render = caller(table, bound_column, bound_column.render)
    link = linker(table, bound_column, urls)

    def value_of(record):
        # BoundRow._get_and_render_with: a choices field shows its label (get_FOO_display on
        # the object holding it), anything else the accessor's value; a failed lookup is None.
        kind = type(record)
        with_choices = choices_by_type.get(kind)
        if with_choices is None:
            field = accessor.get_field(record)  # depends on the record's model alone
            with_choices = choices_by_type[kind] = bool(getattr(field, "choices", ()))
        if with_choices:
            penultimate = parent.resolve(record, quiet=True) if path else record
            if isinstance(penultimate, models.Model):
                display = getattr(penultimate, display_name, None)
                if display:
                    return display()
        if not remainder:
            return None
        try:
            return accessor.resolve(record)
        except Exception:  # tables2 shows the default for a value it cannot reach
            return None

    def content(record, row):
        value = value_of(record)
        if value in empty_values:
            return default()
        cell = render(value, record, row)
        return cell if link is None else link(cell, value, record, row)

    return content


def cell_default(bound_column) -> Callable[[], object]:
    """BoundColumn.default: the column's default (called each time when it is a callable, as
    Column.default does), else the table's."""
    if callable(bound_column.column._default):
        return lambda: bound_column.default
    value = bound_column.default
    return lambda: value


def caller(table: tables.Table, bound_column, function) -> Callable:
    """call_with_appropriate(function, the cell's arguments) as a function of (value, record,
    row): the signature asked once (the cached answer when fast_signatures is installed)."""
    if is_identity_render(function):
        return lambda value, record, row: value
    names, keywords = tables2_utils.signature(function)
    if keywords is None and any(name not in CELL_ARGUMENTS for name in names):
        return lambda value, record, row: None  # call_with_appropriate does not call it
    wanted = CELL_ARGUMENTS if keywords is not None else tuple(names)
    fixed = {
        key: item
        for key, item in (
            ("column", bound_column.column),
            ("bound_column", bound_column),
            ("table", table),
        )
        if key in wanted
    }
    per_row = tuple(name for name in PER_ROW_ARGUMENTS if name in wanted)
    # The shapes the staff tables have, without a dict made per cell.
    if not fixed:
        if per_row == ("value",):
            return lambda value, record, row: function(value=value)
        if per_row == ("record",):
            return lambda value, record, row: function(record=record)
        if per_row == ("value", "record"):
            return lambda value, record, row: function(value=value, record=record)

    def call(value, record, row):
        given = {"value": value, "record": record, "bound_row": row}
        return function(**fixed, **{name: given[name] for name in per_row})

    return call


def is_identity_render(function) -> bool:
    """Column.render itself, which returns the value."""
    return getattr(function, "__func__", None) is tables.Column.render


def linker(table: tables.Table, bound_column, urls: AbsoluteUrls) -> Callable | None:
    """bound_column.link (a LinkTransform, from linkify) as a function of (content, value,
    record, row), or None. Without `a` attributes the link is `<a href="...">content</a>`,
    as LinkTransform.__call__ makes it; with them, LinkTransform itself makes it."""
    link = bound_column.link
    if not link:
        return None

    def arguments(value, record, row):
        return {
            "value": value,
            "record": record,
            "column": bound_column.column,
            "bound_column": bound_column,
            "bound_row": row,
            "table": table,
        }

    if link.attrs:
        return lambda content, value, record, row: link(content, **arguments(value, record, row))
    if link.url and callable(link.url):
        href = caller(table, bound_column, link.url)
    elif link.reverse_args.get("viewname") is not None:
        # A reverse() of the record's values: LinkTransform.compose_url itself.
        def href(value, record, row):
            return link.compose_url(**arguments(value, record, row))
    else:
        # linkify=True: the get_absolute_url() of what the accessor reaches, else of the
        # record, as LinkTransform.compose_url has it.
        target_accessor = A(link.accessor if link.accessor is not None else bound_column.name)

        def href(value, record, row):
            target = target_accessor.resolve(record)
            if not hasattr(target, "get_absolute_url"):
                if not hasattr(record, "get_absolute_url"):
                    return link.compose_url(**arguments(value, record, row))  # its TypeError
                target = record
            return urls(target)

    def linked(content, value, record, row):
        url = href(value, record, row)
        if url is None:
            return content
        if type(url) is not str:  # AttributeDict.as_html would call a callable, and so on
            return format_html("<a {}>{}</a>", AttributeDict({"href": url}).as_html(), content)
        return format_html('<a href="{}">{}</a>', url, content)

    return linked


def shown(localize, context: Context) -> Callable[[object], str]:
    """A cell as bootstrap5.html's `<td>` shows it: `{{ cell }}` (render_value_in_context, with
    the engine's autoescape), or `{{ cell|localize }}` / `{{ cell|unlocalize }}` for a column
    with `localize` set, drawn through that template text itself."""
    if localize == None:  # noqa: E711 - the template's own test: {% if column.localize == None %}
        template = None
    else:
        text = LOCALIZED if localize else UNLOCALIZED
        template = Engine.get_default().from_string(text)
    autoescape = context.autoescape

    def through_template(cell):
        nonlocal template
        if template is None:
            template = Engine.get_default().from_string("{{ cell }}")
        return template.render(Context({"cell": cell}, autoescape=autoescape))

    if template is not None:
        return through_template

    def show(cell):
        kind = type(cell)
        if kind is SafeString:
            return cell
        if kind is str:
            return escape(cell) if autoescape else cell
        if callable(cell):  # a template calls a callable variable before showing it
            return through_template(cell)
        return render_value_in_context(cell, context)

    return show
