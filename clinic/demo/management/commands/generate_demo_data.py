"""Fill the database with N invented patients and everything around them (issue 7).

    DEBUG=true python manage.py generate_demo_data --patients 100000 --seed 1

Courses at every stage, monthly visits with falling nodule counts, pregnancy tests, monthly
confirmations, prescriptions, dispenses, reminders in every status, pharmacies in every
certification state, and flags (clinic.monitoring.flagging.raise_flags). Bulk writes (COPY on
PostgreSQL), one transaction per batch; the same --seed gives the same data. Refuses a database that
already holds patients unless --append, and any database unless DEBUG is on or its name ends
in "_bench": it makes fake people.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from clinic.demo.data.runner import generate, progress_printer
from clinic.monitoring.outcomes import build_outcome_counts
from registry.models import Patient


class Command(BaseCommand):
    help = "Generate N realistic demo patients with courses, visits and more (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5000, help="patients per transaction")
        parser.add_argument(
            "--append", action="store_true", help="add to a database that has patients"
        )

    def handle(self, *args, patients, seed, batch, append, **options):
        name = str(connection.settings_dict["NAME"])
        if not (settings.DEBUG or name.endswith("_bench")):
            raise CommandError(
                f"Refusing: this makes fake people. Run it only with DEBUG on or on a database "
                f"whose name ends in _bench (this one is {name!r})."
            )
        if patients < 1 or batch < 1:
            raise CommandError("--patients and --batch must be at least 1.")
        if Patient.objects.exists() and not append:
            raise CommandError(
                "The database already holds patients; pass --append to add demo patients."
            )
        started = time.monotonic()
        progress = progress_printer() if options["verbosity"] > 0 else None
        counts = generate(count=patients, seed=seed, batch=batch, progress=progress)
        build = build_outcome_counts()  # what the nightly run would count
        counts["outcome counts"] = build.rows
        for label, rows in counts.items():
            self.stdout.write(f"{label:32} {rows:>10,}")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
