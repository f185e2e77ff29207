"""Time flag_courses over many courses on PostgreSQL, beside a hand-written floor.

    DATABASE_URL=postgres://clinic:clinic@127.0.0.1:5432/clinic_flags_100k_bench \
        .venv/bin/python bench/flag_courses.py --courses 100000

Creates the database's tables (migrate), fills N patients, N active courses at every stage and
one visit each with bulk inserts (once; reused on later runs), then times:
- flag_courses (clinic.monitoring.flagging.raise_flags): statements and wall time, on an
  empty flag table, then a second run that finds nothing new;
- the floor: one hand-written INSERT ... SELECT (UNION ALL of the same selections) ... ON
  CONFLICT DO NOTHING into the same flag table (same indexes and constraints), on an empty
  flag table like the first run: the same flags in a single statement. It writes no audit
  history, which flag_courses does (one history row per flag raised).
Prints a Markdown table for docs/PERFORMANCE.md. Refuses to run on a database whose name does
not end in "_bench", so it never touches real data.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.monitoring.flagging import QUERIES, flag_params, raise_flags  # noqa: E402
from clinic.monitoring.models import CourseFlag, Visit  # noqa: E402
from clinic.monitoring.models.flags import URGENCY  # noqa: E402
from dosing.models import TreatmentCourse  # noqa: E402
from registry.models import Patient  # noqa: E402


def fill(count: int) -> None:
    have = TreatmentCourse.objects.count()
    if have >= count:
        return
    rng = random.Random(7)
    prescriber, _ = User.objects.get_or_create(username="bench-prescriber")
    today = timezone.localdate()
    batch = 5000
    for start in range(have, count, batch):
        size = min(batch, count - start)
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    registry_id=f"B{start + i:07d}-Z",
                    first_name="Bench",
                    last_name=f"P{start + i}",
                    date_of_birth=datetime.date(2000, 1, 1),
                    sex="female",
                    risk_category="cannot_get_pregnant",
                    prescriber=prescriber,
                )
                for i in range(size)
            ]
        )
        courses = TreatmentCourse.objects.bulk_create(
            [
                TreatmentCourse(
                    patient=p,
                    number=1,
                    start_date=today - datetime.timedelta(days=rng.randrange(0, 160)),
                    baseline_weight_kg=Decimal(70),
                    baseline_nodule_count=rng.randrange(0, 40),
                    formulation="conventional",
                    started_by=prescriber,
                )
                for p in patients
            ]
        )
        Visit.objects.bulk_create(
            [
                Visit(
                    patient=c.patient,
                    course=c,
                    visit_date=c.start_date,
                    weight_kg=Decimal(70),
                    nodule_count=rng.randrange(0, 40),
                    phq2_interest=rng.randrange(0, 4),
                    phq2_mood=rng.randrange(0, 2),
                    next_follow_up=c.start_date + datetime.timedelta(days=28),
                    recorded_by=prescriber,
                )
                for c in courses
            ]
        )
        print(f"  filled {start + size:,} courses", file=sys.stderr)


def floor_sql() -> str:
    selects = [
        f"SELECT c.id AS course_id, '{kind.value}' AS kind, {URGENCY[kind]}, {columns} {source}"
        for kind, (columns, source) in QUERIES.items()
    ]
    return (
        "INSERT INTO clinic_courseflag "
        "(course_id, kind, urgency, subject_key, raised_at, detail, action, action_text) "
        + " UNION ALL ".join(selects)
        + " ON CONFLICT DO NOTHING"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args()
    name = settings.DATABASES["default"]["NAME"]
    if not str(name).endswith("_bench"):
        sys.exit(f"refusing: database {name!r} does not end in _bench")
    call_command("migrate", verbosity=0)
    fill(args.courses)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_flag_floor")
        cursor.execute("ANALYZE")

    def clear():
        # TRUNCATE, not DELETE: repeated runs of DELETE left the tables and their indexes
        # bloated with dead rows, and each run was slower than the last (10.5 s from 4.2 s).
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE clinic_historicalcourseflag, clinic_courseflag")

    first, second, statements, raised = [], [], 0, 0
    for _ in range(args.repeat):
        clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run = raise_flags()
            first.append(time.perf_counter() - started)
        statements, raised = len(queries), run.raised
        started = time.perf_counter()
        again = raise_flags()
        second.append(time.perf_counter() - started)
        assert again.raised == 0
    params = flag_params(timezone.localdate())  # the same dates and thresholds

    floor_times, floor_rows = [], 0
    for _ in range(args.repeat):
        clear()
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(floor_sql(), params)
            floor_times.append(time.perf_counter() - started)
            floor_rows = cursor.rowcount
    assert floor_rows == raised, (floor_rows, raised)
    clear()
    raise_flags()  # leave the database as flag_courses leaves it
    median = statistics.median
    if args.json:
        print(
            json.dumps(
                {
                    "courses": args.courses,
                    "raised": raised,
                    "statements": statements,
                    "repeat": args.repeat,
                    "first_ms": median(first) * 1000,
                    "second_ms": median(second) * 1000,
                    "floor_ms": median(floor_times) * 1000,
                }
            )
        )
        return
    print(f"| courses | {args.courses:,} |")
    print(f"| flags raised | {raised:,} (floor: {floor_rows:,}) |")
    print(
        f"| flag_courses statements | {statements} (a transaction, 6 INSERT ... SELECT, "
        "1 history INSERT) |"
    )
    print(f"| flag_courses, first run (median of {args.repeat}) | {median(first) * 1000:.0f} ms |")
    print(f"| flag_courses, second run, nothing new | {median(second) * 1000:.0f} ms |")
    print(f"| floor: one hand-written INSERT, same table | {median(floor_times) * 1000:.0f} ms |")
    print(f"| ratio first run / floor | {median(first) / median(floor_times):.2f} |")
    print(
        f"open flags now: {CourseFlag.objects.filter(acknowledged_at=None).count():,}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
