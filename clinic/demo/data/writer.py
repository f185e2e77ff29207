"""Row buffers that write many rows fast: COPY on PostgreSQL, bulk_create elsewhere.

Rows are plain tuples in a fixed column order with primary keys assigned here (from the
table's current maximum), so foreign keys are known before anything is written and no model
instance is built on PostgreSQL. Sequences are reset afterwards (reset_sequences).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

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

    def amend_last(self, pk: int, **fixed) -> None:
        """Set fixed columns of the row just added (`pk`), known only after its children were
        made: cheaper than an UPDATE of every row once they are all written."""
        row = self.rows[-1]
        if row[0] != pk:
            raise ValueError(f"{self.model.__name__} {pk} is not the last row buffered")
        start = 1 + len(self.columns)
        values = list(row)
        for name, value in fixed.items():
            values[start + list(self.fixed).index(name)] = value
        self.rows[-1] = tuple(values)

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


@contextmanager
def without_secondary_indexes(models):
    """On PostgreSQL, while the tables of `models` are filled from empty: no foreign keys and
    no non-unique indexes on them, then each made again from its own definition.

    Each row COPYed into a table with a foreign key queues a check of the parent row, and each
    index is updated row by row in random places; at 1,000,000 patients (some 15 million rows)
    the database did four fifths of the work and the generator waited. Building an index once
    over the whole table is a sort, and adding a foreign key back checks every row in one
    join. Primary keys and unique indexes stay, so a duplicate still fails at once. Tables
    that already hold rows (--append) keep everything: dropping their indexes would slow every
    other user of the database. So does a caller inside a transaction (a test): ALTER TABLE
    waits for nothing there, and the indexes must not be gone for the rest of it.
    """
    models = list(models)
    tables = [model._meta.db_table for model in models]
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or any(model.objects.exists() for model in models)
    ):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
               WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary""",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
               FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)""",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # Names and definitions come from the catalog, not from input.
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
