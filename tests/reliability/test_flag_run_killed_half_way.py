"""A flag_courses run killed half way leaves nothing behind, and the next run raises every flag
once (issue 8, item 10).

The real raise_flags() runs in its own process on the test's database
(tests/reliability/flag_run_paused.py), and pauses inside its transaction after three of its
six flag INSERTs; the test kills it there with SIGKILL. No flag and no history row may
remain, and a new run raises each flag once, with one history row each. PostgreSQL and
SQLite alike.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.models import Count

from clinic.monitoring.flagging import QUERIES, raise_flags
from clinic.monitoring.models import CourseFlag
from tests.reliability.support import ROOT
from tests.reliability.test_flag_courses_twice_at_once import make_courses
from tests.workers import worker_env

pytestmark = pytest.mark.django_db(transaction=True)

COURSES = 600


def start_run(tmp_path: Path) -> subprocess.Popen:
    env = worker_env(broker_url="memory://", var_dir=tmp_path)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.flag_run_paused"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_killed_flag_run_leaves_nothing_and_the_next_run_completes_it(tmp_path):
    make_courses(COURSES)
    run = start_run(tmp_path)
    seen = []
    try:
        for raw in run.stdout:  # log lines may come first; EOF means it never got there
            seen.append(raw.decode())
            if raw.strip() == b"half way":
                break
        assert seen, "the run printed nothing"
        assert seen[-1].strip() == "half way", "".join(seen)
        assert run.poll() is None  # paused inside its transaction, not finished
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=10)

    assert CourseFlag.objects.count() == 0
    assert CourseFlag.history.count() == 0

    again = raise_flags()
    flags = CourseFlag.objects.count()
    assert again.raised == flags > 0
    assert CourseFlag.history.count() == flags  # one history row per flag, none left over
    repeated = CourseFlag.objects.values("course", "kind").annotate(n=Count("id")).filter(n__gt=1)
    assert list(repeated) == []
    # Every kind flag_courses raises (dose_above_ceiling comes from monitoring.services instead).
    assert set(CourseFlag.objects.values_list("kind", flat=True)) == set(QUERIES)
