"""Time a large patient import (issue 18, point 2): the preview (read and check every row)
and the write (one transaction through the services), as the web process and the worker run
them, on a database of its own that it makes and drops (TEST_DATABASE_NAME, or the SQLite
file of tests.settings).

    DJANGO_SETTINGS_MODULE=tests.settings VAR_DIR=/tmp/bench-var TEST_DATABASE_NAME=bench_import \
        DATABASE_URL=postgres://clinic:clinic@127.0.0.1:5432/clinic \
        .venv/bin/python bench/import_rows.py 10000

Each row has an email; every 4th a current course, every 5th a negative pregnancy test, every
10th is under 18 with a guardian. docs/INTEROP.md has the figures.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.accounts.roles import Role  # noqa: E402
from clinic.staff.importing import writing  # noqa: E402
from registry.models import Patient  # noqa: E402

TODAY = timezone.localdate()


def day(years: int = 0, days: int = 0) -> str:
    return (TODAY - datetime.timedelta(days=365 * years + days)).isoformat()


def rows(n: int):
    for k in range(n):
        minor = k % 10 == 0
        cells = {
            "first_name": f"Name{k}",
            "last_name": f"Family{k % 997}",
            "date_of_birth": day(15 if minor else 20 + k % 40, k % 300),
            "sex": "female" if k % 2 else "male",
            "email": f"patient{k}@example.org",
            "prescriber": "dr.bench",
            "risk_category": "can_get_pregnant" if k % 2 else "cannot_get_pregnant",
            "consent_treatment_on": day(days=30),
            "reminder_consent": "yes" if k % 3 == 0 else "no",
            "reminder_channel": "email" if k % 3 == 0 else "",
            "guardian_full_name": f"Guardian {k}" if minor else "",
            "guardian_relation": "parent" if minor else "",
            "guardian_email": f"guardian{k}@example.org" if minor else "",
            "guardian_consent_given": "yes" if minor else "",
            "guardian_consent_on": day(days=30) if minor else "",
            "course_start_date": day(days=k % 100) if k % 4 == 0 else "",
            "baseline_weight_kg": "64.5" if k % 4 == 0 else "",
            "baseline_nodule_count": "12" if k % 4 == 0 else "",
            "formulation": "conventional" if k % 4 == 0 else "",
            "pregnancy_test_on": day(days=2) if k % 5 == 0 else "",
            "pregnancy_test_result": "negative" if k % 5 == 0 else "",
        }
        yield cells


def main(n: int) -> None:
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = User.objects.create(username="dr.bench", first_name="Bench", last_name="Doctor")
        user.groups.add(Group.objects.get(name=Role.PRESCRIBER.value))
        out = io.StringIO()
        generated = list(rows(n))
        writer = csv.DictWriter(out, fieldnames=list(generated[0]))
        writer.writeheader()
        writer.writerows(generated)
        content = out.getvalue().encode()
        start = time.perf_counter()
        batch = writing.preview(content, "bench.csv", user)
        checked = time.perf_counter() - start
        assert batch.error_row_count == 0, list(batch.problems.items())[:3]
        writing.confirm(batch, user)
        start = time.perf_counter()
        batch = writing.write(batch.pk)
        wrote = time.perf_counter() - start
        print(
            f"{connection.vendor}: {n} rows, {len(content) / 1e6:.1f} MB; preview (read and "
            f"check) {checked:.1f} s; write (check again and write) {wrote:.1f} s; "
            f"patients {Patient.objects.count()}, status {batch.status}"
        )
    finally:
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
