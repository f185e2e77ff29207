"""Keyset ("seek") paging: the next page starts after the last row shown, found through the
index on the list's order, instead of an OFFSET that reads and throws away every row before
it. Page 500 costs what page 1 costs.

The order must end in the primary key, so it is total: no row is shown twice or skipped when
rows are added between two pages. The cursor in the link is signed and names the order it was
made in; a tampered, stale or other order's cursor is the first page, never an error.

An order's names are model fields of the queryset's model, "pk", or annotations on the
queryset (a search orders by Lower(...) expressions, annotated by `seek_order`). A field that
may be NULL sorts its NULLs last in both directions, on every database (PostgreSQL and SQLite
disagree by default), and the seek condition says so.

The seek condition is written as a leading range on the first key, and then the exact rule:
    a >= x AND (a > x OR (a = x AND (b > y OR (b = y AND pk > z))))
The leading `a >= x` is what lets the database walk the index on `a` from x, in order, and
stop after a page; the bare OR form ("a > x OR (a = x AND ...)") is planned as a scan of every
row past x and a sort.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import F, Q
from django.db.models.expressions import OrderBy

SALT = "clinic.staff.keyset"
# A cursor is short (a few keys); anything longer is not one of ours and is not unsigned.
MAX_CURSOR = 500
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str  # "" on the last page
    previous_cursor: str = ""  # "" on the first page


@dataclass(frozen=True)
class _Key:
    name: str  # a field name, "pk" or an annotation
    descending: bool
    nullable: bool
    field: object | None  # the model field, for reading a cursor back; None for annotations
    # The list shows NULLs last; walking it backwards ("previous") meets them first.
    nulls_first: bool = False

    @property
    def flipped(self) -> _Key:
        return _Key(self.name, not self.descending, self.nullable, self.field, not self.nulls_first)

    def ordering(self):
        if self.nullable:
            expression = F(self.name)
            nulls = {"nulls_first": True} if self.nulls_first else {"nulls_last": True}
            return expression.desc(**nulls) if self.descending else expression.asc(**nulls)
        return f"-{self.name}" if self.descending else self.name

    def _null(self, is_null: bool = True) -> Q:
        return Q(**{f"{self.name}__isnull": is_null})

    def same(self, value) -> Q:
        return self._null() if value is None else Q(**{self.name: value})

    def beyond(self, value) -> Q:
        """Rows strictly after `value` on this key."""
        if value is None:  # after the NULLs: nothing, or every value when they come first
            return self._null(False) if self.nulls_first else NOTHING
        after = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        return after | self._null() if self.nullable and not self.nulls_first else after

    def from_here(self, value) -> Q:
        """Rows at or after `value` on this key: the range the index walks."""
        if value is None:
            return Q() if self.nulls_first else self._null()
        here = Q(**{f"{self.name}__{'lte' if self.descending else 'gte'}": value})
        return here | self._null() if self.nullable and not self.nulls_first else here


def _keys(queryset, order: tuple[str, ...]) -> list[_Key]:
    if not order or order[-1].lstrip("-") != "pk":
        raise ValueError("A keyset order ends in the primary key.")
    model, annotations = queryset.model, queryset.query.annotations
    keys = []
    for name in order:
        bare = name.lstrip("-")
        if bare == "pk":
            field = model._meta.pk
        elif bare in annotations:
            field = None
        else:
            try:
                field = model._meta.get_field(bare)
            except FieldDoesNotExist as error:
                raise ImproperlyConfigured(f"Keyset paging cannot order by {name!r}.") from error
        nullable = bool(field is not None and field.null)
        keys.append(_Key(bare, name.startswith("-"), nullable, field))
    return keys


def _after(keys: list[_Key], values: list) -> Q:
    """Rows after `values`: a >= x AND (a > x OR (a = x AND (...)))."""
    rule = keys[-1].beyond(values[-1])
    for key, value in zip(reversed(keys[:-1]), reversed(values[:-1]), strict=True):
        rule = key.beyond(value) | (key.same(value) & rule)
    return keys[0].from_here(values[0]) & rule


def keyset_page(
    queryset, order: tuple[str, ...], cursor: str, size: int, *, backwards: bool = False
) -> KeysetPage:
    """`size` rows of `queryset` in `order` (ending in "pk" or "-pk") after `cursor`, or with
    `backwards` the `size` rows before it (the "previous" link), still shown in `order`."""
    keys = _keys(queryset, order)
    values = _read(cursor, keys, order)
    # "Previous" with a cursor that is not ours (or none) is the first page, not the last.
    backwards = backwards and values is not None
    seek = [key.flipped for key in keys] if backwards else keys
    queryset = queryset.order_by(*[key.ordering() for key in seek])
    if values is not None:
        queryset = queryset.filter(_after(seek, values))
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return KeysetPage([], "")
    first, last = _cursor(rows[0], keys, order), _cursor(rows[-1], keys, order)
    if backwards:
        return KeysetPage(rows, last, first if more else "")
    return KeysetPage(rows, last if more else "", first if values is not None else "")


def seek_order(queryset) -> tuple[object, tuple[str, ...]]:
    """The queryset and the keyset order that gives the rows in the queryset's own order:
    its order_by (or the model's ordering), expressions annotated as `_seek<N>`, then the
    primary key (in the first key's direction) unless it is there already."""
    order: list[str] = []
    annotations = {}
    for position, item in enumerate(queryset.query.order_by or queryset.model._meta.ordering):
        if isinstance(item, str):
            order.append(item)
            continue
        if not isinstance(item, OrderBy):
            item = item.asc()
        sign = "-" if item.descending else ""
        if isinstance(item.expression, F):
            order.append(sign + item.expression.name)
            continue
        name = f"_seek{position}"
        annotations[name] = item.expression
        order.append(sign + name)
    if annotations:
        queryset = queryset.annotate(**annotations)
    primary_key = {"pk", queryset.model._meta.pk.name}
    if order and order[-1].lstrip("-") in primary_key:
        order[-1] = ("-" if order[-1].startswith("-") else "") + "pk"
    else:
        order.append("-pk" if order and order[0].startswith("-") else "pk")
    return queryset, tuple(order)


def cursor_after(row, queryset, order: tuple[str, ...]) -> str:
    """The cursor of a link to the rows after `row` (any object with the order's attributes,
    saved or not) in `order`."""
    return _cursor(row, _keys(queryset, order), order)


def _cursor(row, keys: list[_Key], order: tuple[str, ...]) -> str:
    values = [
        getattr(row, key.field.attname if key.field is not None else key.name) for key in keys
    ]
    payload = {"order": list(order), "values": values}
    return signing.dumps(json.dumps(payload, default=_exact), salt=SALT)


def _exact(value) -> str:
    """Dates and times to the microsecond (DjangoJSONEncoder keeps milliseconds only, and a
    cursor a microsecond off would show a row twice), decimals as written."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read(cursor: str, keys: list[_Key], order: tuple[str, ...]) -> list | None:
    if not cursor or len(cursor) > MAX_CURSOR:
        return None
    try:
        payload = json.loads(signing.loads(cursor, salt=SALT))
        values = payload["values"]
        if payload["order"] != list(order) or len(values) != len(keys):
            return None  # a cursor of another sort: start from the top of this one
        return [
            value if value is None or key.field is None else key.field.to_python(value)
            for key, value in zip(keys, values, strict=True)
        ]
    except (signing.BadSignature, ValidationError, ValueError, TypeError, KeyError):
        return None
