"""Every SQL query of the signed-in frame and a few pages, per role (issue 15, lever 6).

Makes a throwaway test database (in memory on SQLite, or TEST_DATABASE_NAME on PostgreSQL),
fills it with the demo accounts and patients (seed_demo), signs each demo role in as the test
suite does (the prescriber with a confirmed authenticator and a verified session), requests
each page three times and prints the queries of the last request; a query that runs more than
once in one request is marked ("same SQL"), and so are queries that differ only in their values
("same shape").

    .venv/bin/python bench/frame_queries.py [--all-requests] [--full] [--time ROUNDS]

--time also times the bare view and the template floor (anonymous, as bench/load.py asks for
them) and the frame (signed in) in this process, through the WSGI handler (no server, no
network): wall time, and this thread's
CPU time, which other processes on the machine disturb less (database work in another process,
PostgreSQL's, is not in it).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("SECRET_KEY", "frame-queries-only-" + "x7Rq2mLp" * 6)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

# Plain HTTP through the test client, and static files as they are (no manifest), as in
# tests/settings.py; everything else is the production middleware and settings.
PLAIN = {
    "SECURE_SSL_REDIRECT": False,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory, override_settings  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from clinic.accounts.two_factor import requires_second_factor  # noqa: E402
from registry.models import Patient  # noqa: E402

BARE = "/bench/floor/ok/"
TEMPLATE = "/bench/floor/template/"
FRAME = "/bench/floor/frame/"


def signed_in_client(username: str) -> Client:
    """A client signed in as the demo user, past the second factor as the tests do it."""
    user = User.objects.get(username=username)
    client = Client(SERVER_NAME="testserver")
    client.force_login(user)
    if requires_second_factor(user):
        session = client.session
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def shape(sql: str) -> str:
    """The query with its literals replaced, to find the same query twice."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def queries_of(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return [q["sql"] for q in captured.captured_queries]


def report(label: str, client: Client, url: str, *, all_requests: bool, full: bool) -> int:
    runs = [queries_of(client, url) for _ in range(3)]
    shown = runs if all_requests else runs[-1:]
    print(f"\n## {label}  {url}  ({' / '.join(str(len(r)) for r in runs)} queries, 3 requests)")
    for number, sql_list in enumerate(shown, start=4 - len(shown)):
        if all_requests:
            print(f"  request {number}:")
        same = Counter(sql_list)
        alike = Counter(shape(sql) for sql in sql_list)
        for sql in sql_list:
            if same[sql] > 1:
                mark = f" [same SQL x{same[sql]}]"
            elif alike[shape(sql)] > 1:
                mark = f" [same shape, other values, x{alike[shape(sql)]}]"
            else:
                mark = ""
            print(f"  - {sql if full else sql[:220]}{mark}")
    return len(runs[-1])


def time_pages(
    pages: dict[str, tuple[str, Client | None]], rounds: int
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) milliseconds per request through the WSGI handler (as gunicorn calls
    it), each page with its client's session cookie (None: anonymous, as the benchmark asks
    for the bare view and the template floor); rounds interleave the pages so noise falls on
    all alike."""
    handler = WSGIHandler()
    urls = {label: url for label, (url, _client) in pages.items()}
    cookies = {
        label: "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
        for label, (_url, client) in pages.items()
        if client is not None
    }
    factory = RequestFactory()
    wall: dict[str, list[float]] = {label: [] for label in urls}
    cpu: dict[str, list[float]] = {label: [] for label in urls}

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"answered {status}")

    for _ in range(rounds):
        for label, url in urls.items():
            environ = factory._base_environ(PATH_INFO=url)
            if label in cookies:
                environ["HTTP_COOKIE"] = cookies[label]
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = handler(environ, start_response)
            b"".join(response)
            response.close()
            cpu[label].append(time.thread_time() - started_cpu)
            wall[label].append(time.perf_counter() - started)
    return {
        label: (statistics.median(wall[label]) * 1000, statistics.median(cpu[label]) * 1000)
        for label in urls
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all-requests", action="store_true", help="print all three requests")
    parser.add_argument("--full", action="store_true", help="print each query whole")
    parser.add_argument(
        "--time", type=int, default=0, metavar="ROUNDS", help="also time the floors in process"
    )
    args = parser.parse_args()

    setup_test_environment()
    logging.getLogger("axes").setLevel(logging.WARNING)
    plain = override_settings(**PLAIN)
    plain.enable()
    test_name = os.environ.get("TEST_DATABASE_NAME")
    if test_name:
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = test_name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(DEBUG=True):  # seed_demo refuses to run without it
            call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        patient = Patient.objects.filter(courses__isnull=False).order_by("pk").first()
        pages = {
            "prescriber": [
                ("frame", FRAME),
                ("worklist", reverse("staff:worklist")),
                ("patient page", reverse("staff:patient-detail", args=[patient.pk])),
            ],
            "nurse": [
                ("frame", FRAME),
                ("worklist", reverse("staff:worklist")),
                ("patient page", reverse("staff:patient-detail", args=[patient.pk])),
            ],
            "pharmacist": [("frame", FRAME), ("dispensing", reverse("pharmacy:home"))],
            "patient": [("frame", FRAME), ("my course", reverse("portal:home"))],
        }
        totals = []
        for username, role_pages in pages.items():
            client = signed_in_client(username)
            print(f"\n# {username}")
            for label, url in role_pages:
                totals.append(
                    (
                        username,
                        label,
                        report(label, client, url, all_requests=args.all_requests, full=args.full),
                    )
                )
        print("\n# Summary (queries of the third request)")
        for username, label, count in totals:
            print(f"  {username:<11} {label:<13} {count}")
        if args.time:
            teardown_test_environment()  # the test instrumentation of templates off
            print(f"\n# Floors in process, median ms of {args.time} requests each")
            for username in ("prescriber", "nurse", "patient"):
                client = signed_in_client(username)
                pages = {
                    "bare": (BARE, None),
                    "template": (TEMPLATE, None),
                    "frame": (FRAME, client),
                }
                ms = time_pages(pages, args.time)
                for kind, index in (("wall", 0), ("cpu", 1)):
                    bare, template, frame = (ms[label][index] for label in pages)
                    print(
                        f"  {username:<11} {kind:<4} bare {bare:.3f}  template {template:.3f}  "
                        f"frame {frame:.3f}  frame/template {frame / template:.2f}"
                    )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
