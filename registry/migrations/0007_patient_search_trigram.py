"""Trigram indexes for the patient search (PostgreSQL only).

The search matches any part of a name (`icontains`, which Django writes as
UPPER(column::text) LIKE UPPER(pattern)) or of the registry ID without dashes. A B-tree cannot
answer '%rivera%', so at 100,000 patients each search read the whole table (bench/run.py).
GIN indexes with pg_trgm's operator class on exactly those expressions can. pg_trgm is a
trusted extension (PostgreSQL 13+): the database owner may create it. SQLite, the embedded
default, has no such index and reads its small table.
"""

from django.db import migrations

INDEXES = {
    "patient_first_name_trgm": "UPPER(first_name::text)",
    "patient_last_name_trgm": "UPPER(last_name::text)",
    "patient_registry_compact_trgm": "REPLACE(registry_id::text, '-', '')",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON registry_patient "
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_admin_filter_indexes")]

    operations = [migrations.RunPython(create, drop)]
