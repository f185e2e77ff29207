"""Fill the database with N demo patients in batches, one transaction per batch."""

from __future__ import annotations

import datetime
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.demo.data import patients, staff
from clinic.demo.data.tables import Tables
from clinic.demo.data.writer import reset_sequences, without_secondary_indexes
from clinic.monitoring.flagging import raise_flags


@dataclass
class Generator:
    rng: random.Random
    today: datetime.date
    now: datetime.datetime
    tables: Tables
    prescribers: list[int] = field(default_factory=list)
    nurses: list[int] = field(default_factory=list)
    pharmacists: list[int] = field(default_factory=list)
    pharmacies: list[int] = field(default_factory=list)
    _tz: datetime.tzinfo = field(default_factory=timezone.get_default_timezone)

    def at(self, day: datetime.date, hour: int) -> datetime.datetime:
        """An aware moment on `day` at `hour` o'clock, clinic time."""
        return datetime.datetime.combine(day, datetime.time(hour), tzinfo=self._tz)


BAR_WIDTH = 30


def progress_printer(stream=None) -> Callable[[str, int, int], None]:
    stream = stream or sys.stderr
    started = time.monotonic()
    live = stream.isatty()

    def show(what: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        filled = percent * BAR_WIDTH // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        elapsed = time.monotonic() - started
        left = elapsed * (total - done) / done if done else 0
        line = (
            f"{what} [{bar}] {done:,}/{total:,} ({percent}%) "
            f"{elapsed:.0f} s, about {left:.0f} s left"
        )
        stream.write(f"\r{line}\033[K" if live else line + "\n")
        stream.flush()

    return show


FINISHING_STEPS = 3


def step(progress, done: int, doing: str) -> None:
    """The steps after the patients, on the same bar: what is being done now."""
    if progress:
        progress(f"finishing: {doing}", done, FINISHING_STEPS)


def generate(*, count: int, seed: int, batch: int, progress=None) -> dict[str, int]:
    """Write `count` patients with all their records; returns rows written per table."""
    # Fake data, reproducible by design. Staff and pharmacies draw from their own generator,
    # so the patients of a seed are the same whether those already exist or not.
    rng = random.Random(seed)  # noqa: S311
    srng = random.Random(seed + 1_000_003)  # noqa: S311
    today = timezone.localdate()
    with transaction.atomic():
        g = Generator(rng=rng, today=today, now=timezone.now(), tables=Tables())
        g.prescribers = staff.ensure_users(srng, "prescriber", Role.PRESCRIBER, staff.PRESCRIBERS)
        g.nurses = staff.ensure_users(srng, "nurse", Role.CLINICAL_STAFF, staff.NURSES)
        admins = staff.ensure_users(srng, "registryadmin", Role.REGISTRY_ADMIN, staff.ADMINS)
        pharmacy_count = max(10, min(200, count // 500))
        g.pharmacies = staff.ensure_pharmacies(srng, pharmacy_count, admins[0], today)
        staff.ensure_pharmacists(srng, g.pharmacies)
        g.pharmacists = list(
            staff.Pharmacist.objects.filter(user__username__startswith="demo-pharmacist-")
            .order_by("user__username")
            .values_list("user_id", flat=True)
        )
    done = 0
    with without_secondary_indexes(table.model for table in g.tables.in_order):
        while done < count:
            size = min(batch, count - done)
            with transaction.atomic():
                for _ in range(size):
                    patients.add_patient(g)
                g.tables.flush()
            done += size
            if progress:
                progress("patients", done, count)
        step(progress, 0, "making the indexes and foreign keys again")
    # The copies the services keep (a course's latest visit, a prescription's pick-up and
    # risk category) are written with the rows, not by an UPDATE of every row afterwards
    # (at 1,000,000 patients those took over 4 minutes).
    reset_sequences(table.model for table in g.tables.in_order)
    step(progress, 1, "gathering statistics (ANALYZE)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    step(progress, 2, "raising flags")
    flags = raise_flags()
    step(progress, 3, "done")
    counts = {table.model._meta.label: table.written for table in g.tables.in_order}
    counts["clinic.CourseFlag"] = flags.raised
    return counts
