"""Row buffers that write many rows fast: COPY on PostgreSQL, bulk_create elsewhere.

Rows are plain tuples in a fixed column order with primary keys assigned here (from the
table's current maximum), so foreign keys are known before anything is written and no model
instance is built on PostgreSQL. Sequences are reset afterwards (reset_sequences).
"""

from __future__ import annotations

import json

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max


class TableWriter:
    def __init__(self, model, columns, fixed=None):
        self.model = model
        self.columns = tuple(columns)
        self.fixed = dict(fixed or {})
        self.fixed_values = tuple(self.fixed.values())
        fields = {f.attname: f for f in model._meta.concrete_fields}
        named = ("id", *self.columns, *self.fixed)
        missing = set(fields) - set(named)
        unknown = set(named) - set(fields)
        if missing or unknown or len(named) != len(set(named)):
            raise ValueError(f"{model.__name__}: missing {missing}, unknown {unknown}")
        self.all_columns = named
        self.json_positions = [
            i for i, name in enumerate(named) if fields[name].get_internal_type() == "JSONField"
        ]
        self.rows: list[tuple] = []
        self.next_id = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        self.written = 0

    def add(self, *values) -> int:
        """Buffer one row (values in `columns` order); returns its new primary key."""
        pk = self.next_id
        self.next_id += 1
        self.rows.append((pk, *values, *self.fixed_values))
        return pk

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            self._copy()
        else:
            model, names = self.model, self.all_columns
            model.objects.bulk_create(
                [model(**dict(zip(names, row, strict=True))) for row in self.rows],
                batch_size=500,
            )
        self.written += len(self.rows)
        self.rows = []

    def _copy(self) -> None:
        table = self.model._meta.db_table
        quote = connection.ops.quote_name
        columns = ", ".join(quote(name) for name in self.all_columns)
        positions = self.json_positions
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                if positions:
                    for row in self.rows:
                        row = list(row)
                        for i in positions:
                            row[i] = json.dumps(row[i])
                        copy.write_row(row)
                else:
                    for row in self.rows:
                        copy.write_row(row)


def reset_sequences(models) -> None:
    """Move id sequences past the ids assigned here, so later inserts do not collide."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
