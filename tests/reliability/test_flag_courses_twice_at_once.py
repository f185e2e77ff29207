"""flag_courses run twice at the same moment, by two worker processes: one flag per course and
kind, one history row per flag, nothing missed.

The test makes the runs overlap for certain: it holds a lock both need before it publishes
the two tasks, waits until both workers are stuck on it, then lets go. On PostgreSQL that is
LOCK TABLE clinic_courseflag (both INSERTs wait; once released they run side by side and ON
CONFLICT DO NOTHING decides). On SQLite it is the database write lock (BEGIN IMMEDIATE): both
runs wait for it and then run one after the other, as SQLite allows.
"""

import datetime
import random
import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from clinic.monitoring.flagging import QUERIES, raise_flags
from clinic.monitoring.models import CourseFlag, Visit
from dosing.models import TreatmentCourse
from registry.models import Patient, PregnancyTest
from tests.reliability.support import on_postgresql, results, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.redis]

COURSES = 600
FLAG = "clinic.tasks.flag_courses"


def make_courses(count: int) -> None:
    """Active courses at every stage, one visit each, some positive tests: every kind fires."""
    rng = random.Random(11)
    today = timezone.localdate()
    prescriber = User.objects.create(username="flag-prescriber")
    patients = Patient.objects.bulk_create(
        Patient(
            registry_id=f"F{n:07d}-Z",
            first_name="Flag",
            last_name=f"P{n}",
            date_of_birth=datetime.date(2000, 1, 1),
            sex="female",
            risk_category="can_get_pregnant",
            prescriber=prescriber,
        )
        for n in range(count)
    )
    courses = TreatmentCourse.objects.bulk_create(
        TreatmentCourse(
            patient=patient,
            number=1,
            start_date=today - datetime.timedelta(days=rng.randrange(0, 160)),
            baseline_weight_kg=Decimal(70),
            baseline_nodule_count=20,
            formulation="conventional",
            started_by=prescriber,
        )
        for patient in patients
    )
    Visit.objects.bulk_create(
        Visit(
            patient=course.patient,
            course=course,
            visit_date=course.start_date,
            weight_kg=Decimal(70),
            nodule_count=rng.randrange(0, 20),
            phq2_interest=rng.randrange(0, 4),
            phq2_mood=rng.randrange(0, 2),
            next_follow_up=course.start_date + datetime.timedelta(days=28),
            recorded_by=prescriber,
            # Labs on either side of every alert line (R19), so the lab flags fire too.
            triglycerides=Decimal(rng.choice((120, 650, 900))),
            triglycerides_unit="mg/dL",
            total_cholesterol=Decimal(rng.choice((180, 320))),
            cholesterol_unit="mg/dL",
            alt=rng.choice((25, 150)),
            ast=rng.choice((25, 30)),
        )
        for course in courses
    )
    PregnancyTest.objects.bulk_create(
        PregnancyTest(
            patient=course.patient, specimen_date=today, result="positive", recorded_by=prescriber
        )
        for course in courses[::25]
    )


class HoldFlagWrites:
    """Hold a lock every flag_courses run needs until both runs are waiting for it."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # SQLite: BEGIN IMMEDIATE takes the database's write lock
        if on_postgresql():
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE clinic_courseflag IN EXCLUSIVE MODE")
        return self

    def waiting(self) -> int:
        if not on_postgresql():
            return 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


def test_two_flag_courses_runs_at_once_raise_each_flag_once(services):
    make_courses(COURSES)
    workers = [services.worker(name, pool="solo", concurrency=1) for name in ("night", "day")]

    def logs():
        return "\n".join(w.log() for w in workers)

    with HoldFlagWrites() as gate:
        services.send(FLAG, 2)
        wait_for(
            lambda: all(w.received(FLAG) == 1 for w in workers),
            "each worker to receive one run",
            details=logs,
        )
        if on_postgresql():
            wait_for(lambda: gate.waiting() == 2, "both runs to wait for the lock", details=logs)
        else:
            time.sleep(1.0)  # both are now in BEGIN IMMEDIATE, waiting (busy timeout 20 s)
        assert not any(w.succeeded(FLAG) for w in workers), "a run finished through the lock"

    wait_for(lambda: all(len(w.succeeded(FLAG)) == 1 for w in workers), "both runs", details=logs)
    assert "Traceback" not in logs(), logs()

    flags = CourseFlag.objects.count()
    runs = [r for w in workers for r in results(w, FLAG)]
    assert sum(r["raised"] for r in runs) == flags  # no flag counted twice
    assert sorted(r["raised"] for r in runs)[0] == 0  # the later run found nothing new
    repeated = CourseFlag.objects.values("course", "kind").annotate(n=Count("id")).filter(n__gt=1)
    assert list(repeated) == []
    # Every kind flag_courses raises (dose_above_ceiling comes from monitoring.services instead).
    assert set(CourseFlag.objects.values_list("kind", flat=True)) == set(QUERIES)
    history = CourseFlag.history.model.objects
    assert history.count() == flags
    assert history.values("id").distinct().count() == flags
    assert raise_flags().raised == 0  # nothing missed
    print(f"\n{flags} flags over {COURSES} courses; runs raised {[r['raised'] for r in runs]}")
