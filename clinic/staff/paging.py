"""A django-tables2 table shown a page at a time by keyset paging (clinic/staff/keyset.py).

django-tables2 still orders the rows (?sort=, the table's order_name hooks) and renders the
table; only its paginator is not used: the Paginator counts every matching row and reads
the page with an OFFSET, both of which grow with the table. Here the page is read by seeking
past the last row shown ("next") or before the first ("previous"), with no count: the links
appear while there are more rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django_tables2 import RequestConfig
from django_tables2.data import TableData
from django_tables2.rows import BoundRows

from clinic.staff.exports import export_response
from clinic.staff.keyset import MAX_CURSOR, KeysetPage, keyset_page, seek_order

CURSOR_PARAMETERS = ("after", "before", "page")


@dataclass(frozen=True)
class PageLinks:
    """The page shown and the query strings of its "previous" and "next" links ("" for
    none), each keeping the list's search, filters and sort."""

    page: KeysetPage
    previous_query: str
    next_query: str


def page_of(request, queryset, order: tuple[str, ...], size: int) -> PageLinks:
    """The page of `queryset` in `order` the request's ?after= or ?before= cursor asks for
    (the first page without one), with its links."""
    before = request.GET.get("before", "")[:MAX_CURSOR]
    cursor = before or request.GET.get("after", "")[:MAX_CURSOR]
    page = keyset_page(queryset, order, cursor, size, backwards=bool(before))
    return PageLinks(
        page,
        _query(request, "before", page.previous_cursor),
        _query(request, "after", page.next_cursor),
    )


def page_table(request, table, size: int) -> PageLinks:
    """Order `table` as the request asks, then give it one page of rows (`size` at most)."""
    RequestConfig(request, paginate=False).configure(table)
    queryset, order = seek_order(table.data.data)
    links = page_of(request, queryset, order, size)
    # The table renders this page's rows (its `rows` were bound to the whole queryset).
    table.data = TableData.from_data(links.page.rows)
    table.data.set_table(table)
    table.rows = BoundRows(data=table.data, table=table, pinned_data=table.pinned_data)
    return links


def _query(request, name: str, cursor: str) -> str:
    if not cursor:
        return ""
    query = request.GET.copy()
    for parameter in CURSOR_PARAMETERS:
        query.pop(parameter, None)
    query[name] = cursor
    return query.urlencode()


def filtered_list(
    request, template: str, table, list_filter, *, filename: str, size: int, more=None
):
    """A list page with its filter form: the export the request asks for (?_export=), or the
    page of rows with its Previous/Next links; `more()`, when given, adds to the page's
    context (called only when the page is shown, not for an export)."""
    export = export_response(request, table, filename)
    if export is not None:
        return export
    context = {
        "filter": list_filter,
        "table": table,
        "links": page_table(request, table, size),
        "page_size": size,
        "query_string": request.GET.urlencode(),
    }
    if more is not None:
        context.update(more())
    return render(request, template, context)
