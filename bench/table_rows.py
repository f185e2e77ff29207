"""The per-row cost of drawing the staff tables (issue 15, lever 2): django-tables2's own
template (a template, an attrs merge and a call_with_appropriate per cell), with and without
clinic.staff.tables.fast_signatures, against clinic.staff.tables.fast_rows (the tables' own
template: one string per row). The same rows, fetched once, are drawn by each in turn, round
after round, so a busy machine slows them alike; each must give the same HTML.

    DATABASE_URL=postgres://clinic:clinic@127.0.0.1:5432/clinic_1k_bench \\
        .venv/bin/python bench/table_rows.py [--rounds 200]

The database needs patients (generate_demo_data). generate_demo_data writes no refused
actions, so the refusals table's rows are written here, in a transaction rolled back at the
end: the database is left as it was.

A table's time is its whole draw (the table made, configured by the request, rendered with
its head), divided by its rows; "fixed" is the same table drawn with no rows.
"""

from __future__ import annotations

import argparse
import datetime
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

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tables2 import RequestConfig  # noqa: E402

from clinic.staff.tables import fast_signatures  # noqa: E402
from clinic.staff.tables.patients import PatientTable  # noqa: E402
from clinic.staff.tables.refusals import RefusalTable  # noqa: E402
from dosing.models import Prescription, RefusedAction  # noqa: E402
from registry.models import Patient, Pharmacy  # noqa: E402

PATIENT_ROWS = 25  # the patient list's page
REFUSAL_ROWS = 50  # the refused actions' page
TABLES2 = "tables2"
SIGNATURES = "tables2 + fast_signatures"
FAST_ROWS = "fast_rows"
# How each is drawn: the template, and whether signatures are kept (fast_signatures).
WAYS = {
    TABLES2: (settings.DJANGO_TABLES2_TEMPLATE, False),
    SIGNATURES: (settings.DJANGO_TABLES2_TEMPLATE, True),
    FAST_ROWS: (None, True),  # the table's own Meta.template_name
}


def draw(make_table, rows, request, template_name) -> str:
    table = make_table(rows)
    if template_name is not None:
        table.template_name = template_name
    RequestConfig(request, paginate=False).configure(table)
    return table.as_html(request)


def timed(make_table, rows, rounds: int) -> dict[str, dict[str, float]]:
    """Per way: the median ms a row of the whole draw, and of the draw with no rows."""
    request = RequestFactory().get("/list/")
    pages = {}
    for way, (template_name, kept) in WAYS.items():  # warm: templates compiled
        (fast_signatures.install if kept else fast_signatures.uninstall)()
        pages[way] = draw(make_table, rows, request, template_name)
    assert len(set(pages.values())) == 1, f"{make_table.__name__}: the ways draw different HTML"
    times = {way: {"rows": [], "empty": []} for way in WAYS}
    try:
        for _ in range(rounds):
            for way, (template_name, kept) in WAYS.items():
                (fast_signatures.install if kept else fast_signatures.uninstall)()
                for kind, given in (("rows", rows), ("empty", [])):
                    started = time.perf_counter()
                    draw(make_table, given, request, template_name)
                    times[way][kind].append(time.perf_counter() - started)
    finally:
        fast_signatures.install()  # as StaffConfig leaves it
    return {
        way: {
            "per_row_ms": round(statistics.median(found["rows"]) * 1000 / len(rows), 3),
            "fixed_ms": round(statistics.median(found["empty"]) * 1000, 3),
            "body_per_row_ms": round(
                (statistics.median(found["rows"]) - statistics.median(found["empty"]))
                * 1000
                / len(rows),
                3,
            ),
        }
        for way, found in times.items()
    }


def patient_rows() -> list:
    rows = list(Patient.objects.select_related("prescriber").order_by("pk")[:PATIENT_ROWS])
    if len(rows) < PATIENT_ROWS:
        sys.exit(f"The database has {len(rows)} patients; run generate_demo_data first.")
    return rows


def write_refusals() -> list:
    """REFUSAL_ROWS refused actions of every kind, as the page shows them: by staff with and
    without names, for patients and none, naming courses, prescriptions and pharmacies, with
    what was typed. Written inside the caller's transaction."""
    users = list(User.objects.filter(is_staff=False).order_by("pk")[:3]) or [
        User.objects.create(username="bench-refusals")
    ]
    prescriptions = list(
        Prescription.objects.select_related("course__patient").order_by("pk")[:REFUSAL_ROWS]
    )
    pharmacies = list(Pharmacy.objects.order_by("pk")[:5])
    kinds = RefusedAction.Kind.values
    now = timezone.now()
    for index in range(REFUSAL_ROWS):
        prescription = prescriptions[index % len(prescriptions)] if prescriptions else None
        course = prescription.course if prescription else None
        RefusedAction.objects.create(
            kind=kinds[index % len(kinds)],
            user=users[index % len(users)],
            at=now - datetime.timedelta(minutes=index),
            patient=course.patient if course and index % 5 else None,
            course=course if index % 2 else None,
            prescription=prescription if index % 3 == 0 else None,
            pharmacy=pharmacies[index % len(pharmacies)] if pharmacies and index % 4 == 0 else None,
            reasons=[f"Reason {index}", "The dose is above the ceiling (R3)."],
            details={"weight_kg": "72", "mg_per_dose": "40", "notes": "refill <early>"},
        )
    return list(
        RefusedAction.objects.select_related("user", "patient", "pharmacy", "course").order_by(
            "-at", "-pk"
        )[:REFUSAL_ROWS]
    )


def patient_table(rows):
    return PatientTable(rows, order_by=())


def refusal_table(rows):
    return RefusalTable(rows, order_by=(), link_patients=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    results = {"patients": timed(patient_table, patient_rows(), args.rounds)}
    with transaction.atomic():
        refusals = write_refusals()
        results["refusals"] = timed(refusal_table, refusals, args.rounds)
        transaction.set_rollback(True)  # the bench's refusals are not kept
    counts = {"patients": PATIENT_ROWS, "refusals": REFUSAL_ROWS}
    print(json.dumps({"rows": counts, "rounds": args.rounds, "tables": results}))
    for name, ways in results.items():
        for way, figures in ways.items():
            print(
                f"{name} table, {counts[name]} rows, {way:>25}: {figures['per_row_ms']:.3f} ms "
                f"a row ({figures['body_per_row_ms']:.3f} without the fixed "
                f"{figures['fixed_ms']:.3f} ms)",
                file=sys.stderr,
            )
        ratio = ways[SIGNATURES]["per_row_ms"] / ways[FAST_ROWS]["per_row_ms"]
        print(f"{name} table: fast_rows {ratio:.1f}x faster a row", file=sys.stderr)


if __name__ == "__main__":
    main()
