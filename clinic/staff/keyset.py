"""Keyset ("seek") paging: the next page starts after the last row shown, found through the
index on the list's order, instead of an OFFSET that reads and throws away every row before
it. Page 500 costs what page 1 costs.

The order must end in the primary key, so it is total: no row is shown twice or skipped when
rows are added between two pages. The cursor in the link is signed; a tampered or stale cursor
is the first page, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import reduce

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q

SALT = "clinic.staff.keyset"


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str  # "" on the last page
    previous_cursor: str = ""  # "" on the first page


def _field(model, name: str):
    name = name.lstrip("-")
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _after(order: tuple[str, ...], values: list) -> Q:
    """Rows after `values` in `order`: (a > x) or (a = x and b > y) or ..."""
    parts = []
    for i, name in enumerate(order):
        beyond = Q(**{f"{name.lstrip('-')}__{'lt' if name.startswith('-') else 'gt'}": values[i]})
        same = [Q(**{earlier.lstrip("-"): values[j]}) for j, earlier in enumerate(order[:i])]
        parts.append(reduce(lambda a, b: a & b, [*same, beyond]))
    return reduce(lambda a, b: a | b, parts)


def keyset_page(
    queryset, order: tuple[str, ...], cursor: str, size: int, *, backwards: bool = False
) -> KeysetPage:
    """`size` rows of `queryset` in `order` (ending in "pk" or "-pk") after `cursor`, or with
    `backwards` the `size` rows before it (the "previous" link), still shown in `order`."""
    if order[-1].lstrip("-") != "pk":
        raise ValueError("A keyset order ends in the primary key.")
    model = queryset.model
    seek = tuple(_flip(name) for name in order) if backwards else order
    values = _read(cursor, model, order)
    queryset = queryset.order_by(*seek)
    if values is not None:
        queryset = queryset.filter(_after(seek, values))
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return KeysetPage([], "")
    first, last = _cursor(rows[0], model, order), _cursor(rows[-1], model, order)
    if backwards:
        return KeysetPage(rows, last, first if more else "")
    return KeysetPage(rows, last if more else "", first if values is not None else "")


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


def _cursor(row, model, order: tuple[str, ...]) -> str:
    values = [getattr(row, _field(model, name).attname) for name in order]
    return signing.dumps(json.dumps(values, default=_exact), salt=SALT)


def _exact(value) -> str:
    """Dates and times to the microsecond (DjangoJSONEncoder keeps milliseconds only, and a
    cursor a microsecond off would show a row twice), decimals as written."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read(cursor: str, model, order: tuple[str, ...]) -> list | None:
    if not cursor:
        return None
    try:
        values = json.loads(signing.loads(cursor, salt=SALT))
        if not isinstance(values, list) or len(values) != len(order):
            return None
        return [_field(model, n).to_python(v) for n, v in zip(order, values, strict=True)]
    except (signing.BadSignature, ValidationError, ValueError, TypeError):
        return None
