"""flag_courses that stops half way: run as a process by test_flag_run_killed_half_way.py.

    python -m tests.reliability.flag_run_paused

Runs the real clinic.monitoring.flagging.raise_flags() with one addition, through Django's own
execute_wrapper hook: after the third flag INSERT has run (inside the run's transaction) it
prints "half way" and sleeps, so the test can kill it at that point for certain.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from clinic.monitoring.flagging import raise_flags  # noqa: E402

PAUSE_AFTER = 3  # of the six flag INSERTs


def pause_half_way(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if sql.lstrip().startswith("INSERT INTO clinic_courseflag"):
        pause_half_way.inserts += 1
        if pause_half_way.inserts == PAUSE_AFTER:
            print("half way", flush=True)
            time.sleep(120)
    return result


pause_half_way.inserts = 0

with connection.execute_wrapper(pause_half_way):
    raise_flags()
print("finished", flush=True)
sys.exit(0)
