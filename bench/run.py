"""`make bench`: every benchmark of the project in one run, then docs/PERFORMANCE.md.

    .venv/bin/python -m bench.run                  # 1,000 and 100,000 patients, ~15 minutes
    .venv/bin/python -m bench.run --quick          # 200 and 2,000 patients, 1 round: a smoke run

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://clinic:clinic@127.0.0.1:5432, a role
that may create databases) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/15).

1. Pages. For each size a database clinic_<size>_bench is generated once (generate_demo_data,
   kept for later runs) and copied for this run (CREATE DATABASE ... TEMPLATE), so the visit
   POSTs of one run never change the next run's data. One gunicorn (gthread, 2 processes x 4
   threads, production settings plus the two floor pages of bench/urls.py) serves each copy;
   bench/load.py drives both from another process. Then, at each size, one full patient
   export (every patient as CSV) with its time and the serving worker's memory before, at
   peak and after (bench/export.py). The copies are dropped afterwards.
2. flag_courses at 100,000 courses beside one hand-written SQL statement (bench/flag_courses.py).
3. Reminders per second through one worker beside plain smtplib (bench/reminders_rate.py).
4. bench/report.py writes the figures into docs/PERFORMANCE.md and draws the latency plot.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

from bench import export

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-only-secret-key-" + "x" * 40  # a _bench database on loopback, never production


def server_env(database_url: str) -> dict:
    """Production settings (DEBUG off, manifest static files), served over plain HTTP on
    loopback: no TLS redirect or Secure cookies, which the load generator could not follow."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
    }


def label(patients: int) -> str:
    if patients % 1_000_000 == 0:
        return f"{patients // 1_000_000}m"
    return f"{patients // 1000}k" if patients % 1000 == 0 else str(patients)


def size(text: str) -> int:
    """A number of patients as written on the command line: 1000, 1k, 100k, 1m."""
    text = text.strip().lower()
    for suffix, factor in (("k", 1000), ("m", 1_000_000)):
        if text.endswith(suffix):
            return int(text[: -len(suffix)]) * factor
    return int(text)


def admin(base_url: str, *statements: str) -> None:
    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def prepare(base_url: str, patients: int) -> dict:
    """The generated database of this size (made once) and what the load should ask for."""
    name = f"clinic_{label(patients)}_bench"
    for attempt in range(2):
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            admin(base_url, f'CREATE DATABASE "{name}"')
        print(f"== preparing {name} ({patients:,} patients)", file=sys.stderr, flush=True)
        done = subprocess.run(
            [PYTHON, "-m", "bench.prepare", "--patients", str(patients)],
            cwd=ROOT,
            env={**server_env(f"{base_url}/{name}"), "DEBUG": "true"},
            stdout=subprocess.PIPE,
            check=False,
        )
        if done.returncode == 3 and attempt == 0:  # another size: make it anew
            admin(base_url, f'DROP DATABASE "{name}" WITH (FORCE)')
            continue
        if done.returncode != 0:
            sys.exit(f"preparing {name} failed")
        return {"database": name, "target": json.loads(done.stdout)}
    raise AssertionError("unreachable")


@contextlib.contextmanager
def served_copy(base_url: str, database: str, port: int):
    """A copy of `database` for this run, served by gunicorn on 127.0.0.1:port: its URL and
    the gunicorn master's pid."""
    copy = f"{database[: -len('_bench')]}_run_bench"
    admin(
        base_url,
        f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)',
        f'CREATE DATABASE "{copy}" TEMPLATE "{database}"',
    )
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "clinic.wsgi:application",
            "--worker-class=gthread",
            "--workers=2",
            "--threads=4",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "--no-control-socket",  # one per user by default; two servers run at once here
        ],
        cwd=ROOT,
        env=server_env(f"{base_url}/{copy}"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/bench/floor/ok/", timeout=2) as response,  # noqa: S310
            ):
                if response.status == 200:
                    break
            if server.poll() is not None:
                sys.exit(f"gunicorn on {copy} exited with {server.returncode}")
            time.sleep(0.1)
        yield url, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        admin(base_url, f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def run_pages(args, base_url: str) -> tuple[dict, dict, dict]:
    """The load's samples, the full export's figures at each size, and the time the outcomes
    report's nightly count took at each size (bench/prepare.py runs it)."""
    sizes = {label(n): prepare(base_url, n) for n in args.sizes}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
        cwd=ROOT,
        env=server_env(f"{base_url}/{next(iter(sizes.values()))['database']}"),
        check=True,
    )
    with contextlib.ExitStack() as stack:
        plan = {"password": None, "sizes": {}}
        masters = {}
        for port, (size, prepared) in enumerate(sizes.items(), start=8701):
            url, masters[size] = stack.enter_context(
                served_copy(base_url, prepared["database"], port)
            )
            plan["sizes"][size] = {"url": url, "target": prepared["target"]}
            plan["password"] = prepared["target"]["password"]
        with tempfile.TemporaryDirectory() as scratch:
            plan_file, out_file = Path(scratch, "plan.json"), Path(scratch, "samples.json")
            plan_file.write_text(json.dumps(plan))
            print("== load: " + ", ".join(plan["sizes"]), file=sys.stderr, flush=True)
            subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "bench.load",
                    f"--plan={plan_file}",
                    f"--out={out_file}",
                    f"--users={args.users}",
                    f"--rounds={args.rounds}",
                    f"--seconds={args.seconds}",
                ],
                cwd=ROOT,
                check=True,
            )
            samples = json.loads(out_file.read_text())
        builds = {size: prepared["target"]["outcome_build"] for size, prepared in sizes.items()}
        return samples, run_exports(args, plan, masters), builds


def run_exports(args, plan: dict, masters: dict) -> dict:
    """One full patient export at each size, after the load, on the servers it warmed."""
    figures = {}
    patients_at = {label(n): n for n in args.sizes}
    # The web workers' memory after the whole load, before the exports.
    after_load = {
        size: [export.rss_mb(pid) for pid in export.workers_of(master)]
        for size, master in masters.items()
    }
    for size, spec in plan["sizes"].items():
        accounts = spec["target"]["accounts"]
        codes = accounts["prescriber_codes"]
        if len(codes) <= args.users:
            sys.exit("no recovery code is left for the export (one per simulated user)")
        try:
            figures[size] = export.measure(
                spec["url"],
                masters[size],
                patients_at[size],
                accounts["prescriber"],
                plan["password"],
                codes[-1],
            )
        except (OSError, RuntimeError) as error:
            sys.exit(f"the export at {size} failed: {error}")
        figures[size]["workers_rss_after_load_mb"] = after_load[size]
        print("== " + export.summary(size, figures[size]), file=sys.stderr, flush=True)
    return figures


def run_script(script: str, database: str, base_url: str, *extra: str) -> dict:
    with contextlib.suppress(psycopg.errors.DuplicateDatabase):
        admin(base_url, f'CREATE DATABASE "{database}"')
    print(f"== {script} on {database}", file=sys.stderr, flush=True)
    done = subprocess.run(
        [PYTHON, f"bench/{script}", "--json", *extra],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true", "DATABASE_URL": f"{base_url}/{database}"},
        stdout=subprocess.PIPE,
        check=True,
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=lambda s: [size(x) for x in s.split(",")])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--courses", type=int, default=100_000, help="for flag_courses")
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--only", choices=["pages", "flags", "reminders"], action="append")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite the docs")
    args = parser.parse_args()
    if args.quick:
        args.sizes = args.sizes or [200, 2000]
        args.rounds, args.seconds, args.courses, args.reminders = 1, 1.0, 2000, 200
    args.sizes = args.sizes or [1000, 100_000]
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://clinic:clinic@127.0.0.1:5432")
    only = set(args.only or ["pages", "flags", "reminders"])
    RESULTS.mkdir(exist_ok=True)
    results = {"quick": args.quick, "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if "pages" in only:
        results["pages"], results["exports"], results["outcome_counts"] = run_pages(args, base_url)
    if "flags" in only:
        # One database per size: flag_courses.py adds courses up to --courses, never removes.
        results["flags"] = run_script(
            "flag_courses.py",
            f"clinic_flags_{label(args.courses)}_bench",
            base_url,
            f"--courses={args.courses}",
        )
    if "reminders" in only:
        results["reminders"] = run_script(
            "reminders_rate.py", "clinic_reminders_bench", base_url, f"--reminders={args.reminders}"
        )
    out = RESULTS / ("quick.json" if args.quick else "latest.json")
    if args.only and out.exists():  # a partial run replaces its own parts of the last one
        earlier = json.loads(out.read_text())
        results["started"] = f"{earlier['started']} ({', '.join(only)} again {results['started']})"
        results = {**earlier, **results}
    out.write_text(json.dumps(results))
    print(f"== results in {out.relative_to(ROOT)}", file=sys.stderr)
    if not args.no_report and not args.quick:
        from bench import report

        report.write(results)


if __name__ == "__main__":
    main()
