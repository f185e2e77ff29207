"""The per-row cost of rendering a django-tables2 table (issue 15, lever 2), before and after
clinic.staff.tables.fast_signatures: the patient list's table of 25 rows rendered through its
template many times, in process, on a bench database.

    DATABASE_URL=postgres://clinic:clinic@127.0.0.1:5432/clinic_1k_bench \\
        .venv/bin/python bench/table_rows.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.test import RequestFactory  # noqa: E402
from django_tables2 import RequestConfig  # noqa: E402

from clinic.staff.tables import fast_signatures  # noqa: E402
from clinic.staff.tables.patients import PatientTable  # noqa: E402
from registry.models import Patient  # noqa: E402

ROWS = 25


def render_once(request) -> str:
    rows = list(Patient.objects.select_related("prescriber").order_by("pk")[:ROWS])
    table = PatientTable(rows, order_by=())
    RequestConfig(request, paginate=False).configure(table)
    return table.as_html(request)


def per_row_ms(rounds: int) -> tuple[float, str]:
    request = RequestFactory().get("/patients/")
    html = render_once(request)  # warm: templates compiled, rows fetched once
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        render_once(request)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000 / ROWS, html


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    fast_signatures.uninstall()
    before, html_before = per_row_ms(args.rounds)
    fast_signatures.install()
    after, html_after = per_row_ms(args.rounds)
    assert html_before == html_after, "the cached signatures changed the table's HTML"
    print(
        json.dumps(
            {
                "rows": ROWS,
                "per_row_ms_before": round(before, 3),
                "per_row_ms_after": round(after, 3),
            }
        )
    )
    print(
        f"patient table, {ROWS} rows x {len(PatientTable.base_columns)} columns: "
        f"{before:.3f} ms a row before, {after:.3f} ms after",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
