"""The import preview's grower for test_query_counts.py: more rows in the batch the permission
table's a_batch made (the prescriber's), every third with a problem. The rows live in the
batch's JSON, so the page must read them in one query and show a page of them."""

from __future__ import annotations

from registry.models import ImportBatch


def grow_import_rows(world, n: int) -> None:
    batch = ImportBatch.objects.get(created_by=world.personas["prescriber"])
    start = len(batch.rows) + 2
    for number in range(start, start + n):
        batch.rows.append([number, f"Name{number}", "Lopez", "2000-01-01"])
        if number % 3 == 0:
            batch.problems[str(number)] = {"date_of_birth": "A problem.", "row": "Another."}
    batch.row_count = len(batch.rows)
    batch.error_row_count = len(batch.problems)
    batch.save()
