"""Reminders per second through Celery worker processes, beside plain smtplib (the floor).

    DATABASE_URL=postgres://clinic:clinic@127.0.0.1:5432/clinic_reminders_bench \
        .venv/bin/python bench/reminders_rate.py --reminders 2000

Writes N fresh due reminder rows (recipients tagged with this run's token) and times from
publishing the send_due_reminders runs (100 rows each, as beat sends them) until the SMTP sink
holds N messages and every row is sent. The workers are `celery -A clinic worker --pool=solo`
processes (each `python -m celery` itself) on queues of their own on Redis (--broker, default
redis://127.0.0.1:6379/15), sending through Django's SMTP backend. Each first sends WARMUP
reminders, untimed. Then, each repeat, with fresh rows:

1. one worker, to an SMTP sink in this process (tests/smtp_sink.py), polled every 10 ms;
2. the floor: the same N messages (built beforehand) sent with smtplib over one connection to
   the same sink, and the wire alone (bytes made beforehand);
3. two worker processes consuming one queue, same sink, same N;
4. unless --no-sink-process, one and then two workers sending to the same sink in a process of
   its own (bench/reminder_workers.py), waited for without polling: is the sink the limit?

The table is vacuumed before each timed run (autovacuum may be off). The first worker's RSS
(/proc VmRSS) is read after its warm-up and after the first N. During each timed run the CPU
each part uses (workers, sink, this process, PostgreSQL, Redis, the rest of this shared
machine) is read from /proc, with the workers' time waiting for a CPU, and what their database
backends are doing (pg_stat_activity, ten looks a second); a committed one-row UPDATE is timed
before and after the runs. Prints a Markdown table of medians (or one line of JSON). The rows
are deleted afterwards, and the workers stopped, even on failure.

Refuses to run on a database whose name does not end in "_bench", and on one that already
holds due reminders (the workers would send them too).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import secrets
import smtplib
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

import redis
from celery import Celery
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.reminder_workers import (
    SAMPLE_EVERY,
    CpuMeter,
    SinkProcess,
    commit_ms,
    sent_logged,
    start_workers,
    status_mb,
    stop_workers,
    wait_until,
)
from clinic.reminders.models import Reminder
from clinic.reminders.sending import build_message, due_q
from tests import smtp_sink
from tests.smtp_sink import SmtpSink

BATCH = 100  # rows per send_due_reminders run, the task's default
WARMUP = 200  # reminders each worker sends before anything is measured
CPU_ORDER = [
    "workers",
    "sink",
    "bench",
    "postgres_db",
    "postgres_bench",
    "postgres_shared",
    "redis",
    "other",
]


class CountingSink(SmtpSink):
    """The test sink, also counting SMTP sessions (one per connection)."""

    def __init__(self):
        super().__init__()
        self.sessions = 0
        handle = smtp_sink._Handler.handle

        def counted(handler):
            with self._lock:
                self.sessions += 1
            handle(handler)

        self._server.RequestHandlerClass = type("Counted", (smtp_sink._Handler,), {})
        self._server.RequestHandlerClass.handle = counted

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self.envelopes.clear()
            self.sessions = 0


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def write_rows(count: int, tag: str) -> list[Reminder]:
    due_at = timezone.now() - datetime.timedelta(minutes=1)
    return Reminder.objects.bulk_create(
        Reminder(
            kind=Reminder.Kind.FOLLOW_UP_VISIT,
            recipient=f"{tag}-{n:06d}@example.org",
            subject_key=f"visit:{n}",
            due_at=due_at,
            due_date=timezone.localdate(due_at),
            context={"visit_on": "2027-03-30"},
        )
        for n in range(count)
    )


def worker_env(broker: str, log_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        DEBUG="false",  # as in production: no query log, no debug overhead
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker,
        VAR_DIR=str(log_dir / "var"),
        LOG_LEVEL="INFO",  # the production default: a log line per task
    )
    return env


def publish(producer: Celery, queue: str, n: int) -> None:
    for _ in range(math.ceil(n / BATCH)):
        producer.send_task("clinic.tasks.send_due_reminders", kwargs={"batch": BATCH}, queue=queue)


def warm_up(ctx, queue: str, worker, tag: str) -> None:
    """WARMUP reminders through this worker alone, untimed: its imports, templates, database
    and SMTP code are loaded before anything is measured."""
    rows = write_rows(WARMUP, tag)
    publish(ctx.producer, queue, WARMUP)
    sent = Reminder.objects.filter(pk__in=[r.pk for r in rows], status=Reminder.Status.SENT)
    wait_until(lambda: sent.count() == WARMUP, "the warm-up", [worker], every=0.05)
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).delete()


def time_run(n, tag, ctx, queue, workers, sink) -> dict:
    """Seconds from publishing N/BATCH tasks on `queue` until the sink holds N messages and
    every row is sent; the CPU each part used meanwhile; how many each worker sent.

    The table is vacuumed first: each run leaves 2 N dead row versions (claimed, then sent) and
    the earlier runs' rows deleted, and autovacuum may be off (it is on the bench machine), so
    without it every claim would walk past more dead index entries than the run before."""
    rows = write_rows(n, tag)
    pks = [r.pk for r in rows]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {Reminder._meta.db_table}")
    sink.clear()
    logged = [sent_logged(w) for w in workers]
    apart = isinstance(sink, SinkProcess)
    meter = CpuMeter(
        workers=workers,
        sink=sink.pid if apart else None,
        database=ctx.database,
        db=connection,
        own_backend=ctx.backend,
    )
    meter.start(ctx.redis)
    started = time.perf_counter()
    publish(ctx.producer, queue, n)
    what = f"{n} messages at the sink"
    if apart:  # blocks in the sink process's answer: no polling here
        wait_until(lambda: sink.wait(n, SAMPLE_EVERY) >= n, what, workers, every=0, tick=meter.tick)
    else:  # the original loop: the sink's count every 10 ms
        wait_until(lambda: sink.count() >= n, what, workers, tick=meter.tick)
    sent = Reminder.objects.filter(pk__in=pks, status=Reminder.Status.SENT)
    wait_until(lambda: sent.count() == n, "every row marked sent", workers, tick=meter.tick)
    elapsed = time.perf_counter() - started
    cpu, queued = meter.stop()
    assert sink.count() == n, f"{sink.count()} messages for {n} reminders"
    # Each task logs what it sent as it ends, a moment after its last row was marked sent.
    wait_until(lambda: sum(sent_logged(w) for w in workers) - sum(logged) >= n, "the logs", workers)
    split = [sent_logged(w) - before for w, before in zip(workers, logged, strict=True)]
    Reminder.objects.filter(pk__in=pks).delete()
    sessions = getattr(sink, "sessions", 0)
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "queued": queued,
        "states": meter.states,
        "split": split,
        "sessions": sessions,
        "workers": len(workers),
    }


def rendered(n, tag) -> list[tuple[str, list[str], str, str, str, dict]]:
    """The same messages' parts (our templates rendered), so both floors skip the rendering."""
    rows = write_rows(n, tag)
    parts = []
    for reminder in rows:
        message = build_message(reminder)
        html = message.alternatives[0][0]
        parts.append(
            (
                message.from_email,
                message.to,
                message.subject,
                message.body,
                html,
                message.extra_headers,
            )
        )
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return parts


def time_floor(parts, sink, *, prebuilt: bool) -> float:
    """Plain smtplib over one connection. With prebuilt=False each message is built with the
    standard library's email package as it is sent, as a plain script would; with prebuilt=True
    the bytes are made beforehand and only the SMTP exchange is timed (the wire alone)."""

    def build(sender, to, subject, text, html, headers) -> bytes:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, sender, ", ".join(to)
        message["Date"] = formatdate(localtime=True)
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message.as_bytes()

    payloads = [(p[0], p[1], build(*p)) for p in parts] if prebuilt else None
    sink.clear()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        if payloads is not None:
            for sender, recipients, data in payloads:
                smtp.sendmail(sender, recipients, data)
        else:
            for part in parts:
                smtp.sendmail(part[0], part[1], build(*part))
    elapsed = time.perf_counter() - started
    assert sink.count() == len(parts)
    return elapsed


def summary(runs: list[dict], n: int) -> dict:
    """Median rate of the runs; the CPU each part used, as cores busy over the runs' wall time
    and as milliseconds per reminder; how the workers' time went, per reminder: on a CPU,
    waiting for one (the machine busy), the rest asleep (waiting for PostgreSQL, the SMTP
    sink, Redis); how many each worker sent, over all runs."""
    seconds = [r["seconds"] for r in runs]
    per_reminder = 1000 / (n * len(runs))  # seconds over all runs -> ms per reminder
    used: dict[str, float] = {}
    for r in runs:
        for part, cpu in r["cpu"].items():
            used[part] = used.get(part, 0.0) + cpu
    used["machine"] = sum(used.values())  # every core of this machine, others' work too
    queued = {part: sum(r["queued"][part] for r in runs) for part in runs[0]["queued"]}
    worker_time = sum(r["seconds"] * r["workers"] for r in runs)  # wall time of each worker
    states: dict[str, int] = {}
    for r in runs:
        for label, count in r["states"].items():
            states[label] = states.get(label, 0) + count
    return {
        "rate": n / statistics.median(seconds),
        "seconds": statistics.median(seconds),
        "cores": {part: round(cpu / sum(seconds), 3) for part, cpu in used.items()},
        "ms_per_reminder": {part: round(cpu * per_reminder, 3) for part, cpu in used.items()},
        "runqueue_ms_per_reminder": {p: round(q * per_reminder, 3) for p, q in queued.items()},
        "worker_ms_per_reminder": {
            "on_cpu": round(used["workers"] * per_reminder, 3),
            "waiting_for_cpu": round(queued["workers"] * per_reminder, 3),
            "asleep": round((worker_time - used["workers"] - queued["workers"]) * per_reminder, 3),
        },
        "backend_states": {
            label: round(count / sum(states.values()), 3)
            for label, count in sorted(states.items(), key=lambda item: -item[1])
        },
        "split": [sum(column) for column in zip(*(r["split"] for r in runs), strict=True)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--no-sink-process",
        action="store_true",
        help="skip the diagnostic runs with the SMTP sink in a process of its own",
    )
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args()
    name = str(settings.DATABASES["default"]["NAME"])
    if not name.endswith("_bench"):
        sys.exit(f"refusing: database {name!r} does not end in _bench")
    call_command("migrate", verbosity=0)
    if Reminder.objects.filter(due_q(timezone.now())).exists():
        sys.exit("refusing: the database already holds due reminders; the worker would send them")

    token = secrets.token_hex(4)
    tag = f"bench-{token}"
    # Each worker has a queue of its own (its warm-up, the one-worker runs) and shares one
    # with its pair (the two-worker runs).
    queue = {q: f"bench-reminders-{token}-{q}" for q in ("w1", "w2", "pair", "s1", "s2", "spair")}
    log_dir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    n = args.reminders
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    client = redis.Redis.from_url(args.broker)
    ctx = SimpleNamespace(
        producer=Celery(f"bench-producer-{token}", broker=args.broker),
        redis=client,
        database=name,
        backend=backend,
    )
    runs: dict[str, list[dict]] = {"one": [], "two": [], "apart_one": [], "apart_two": []}
    floor_times, wire_times, rss = [], [], {}
    workers: list = []
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(CountingSink())
        apart = None if args.no_sink_process else stack.enter_context(SinkProcess())
        pairs = [("w", "pair", sink)] + ([("s", "spair", apart)] if apart is not None else [])
        specs = [
            {
                "name": f"{w}{i}-{token}",
                "queues": [queue[f"{w}{i}"], queue[shared]],
                "port": to.port,
            }
            for w, shared, to in pairs
            for i in (1, 2)
        ]
        try:
            start_workers(specs, worker_env(args.broker, log_dir), log_dir, workers)
            for worker, spec in zip(workers, specs, strict=True):
                warm_up(ctx, spec["queues"][0], worker, f"{tag}-{spec['name']}")
            first = workers[0]
            rss["before"], sent_before = status_mb(first.pid), sent_logged(first)
            commit = [commit_ms(connection)]
            for run in range(args.repeat):
                one = time_run(n, f"{tag}-w{run}", ctx, queue["w1"], [first], sink)
                runs["one"].append(one)
                if run == 0:  # N reminders after the warm-up
                    rss["after"], rss["peak"] = status_mb(first.pid), status_mb(first.pid, "VmHWM")
                parts = rendered(n, f"{tag}-f{run}")
                floor_times.append(time_floor(parts, sink, prebuilt=False))
                wire_times.append(time_floor(parts, sink, prebuilt=True))
                two = time_run(n, f"{tag}-p{run}", ctx, queue["pair"], workers[:2], sink)
                runs["two"].append(two)
                line = (
                    f"  run {run + 1}: worker {n / one['seconds']:,.0f}/s, "
                    f"two workers {n / two['seconds']:,.0f}/s {two['split']}, "
                    f"smtplib {n / floor_times[-1]:,.0f}/s, wire {n / wire_times[-1]:,.0f}/s"
                )
                if apart is not None:
                    s1 = time_run(n, f"{tag}-s{run}", ctx, queue["s1"], workers[2:3], apart)
                    s2 = time_run(n, f"{tag}-t{run}", ctx, queue["spair"], workers[2:], apart)
                    runs["apart_one"].append(s1)
                    runs["apart_two"].append(s2)
                    line += (
                        f"; sink apart: one {n / s1['seconds']:,.0f}/s, "
                        f"two {n / s2['seconds']:,.0f}/s {s2['split']}"
                    )
                print(line, file=sys.stderr, flush=True)
            rss["end"] = status_mb(first.pid)
            commit.append(commit_ms(connection))
            rss["end_reminders"] = sent_logged(first) - sent_before
        finally:
            stop_workers(workers)
            ctx.producer.close()
            deleted, _ = Reminder.objects.filter(recipient__startswith=f"{tag}-").delete()
            print(f"  deleted {deleted:,} bench reminder rows", file=sys.stderr)
            for key in client.scan_iter(match=f"*{token}*"):
                client.delete(key)
            client.close()
    report(args, n, runs, floor_times, wire_times, rss, commit)


def report(args, n, runs, floor_times, wire_times, rss, commit) -> None:
    median = statistics.median
    one, two = summary(runs["one"], n), summary(runs["two"], n)
    apart = {k: summary(runs[f"apart_{k}"], n) for k in ("one", "two") if runs[f"apart_{k}"]}
    worker_rate, two_rate = one["rate"], two["rate"]
    floor_rate = n / median(floor_times)
    wire_rate = n / median(wire_times)
    sessions = runs["one"][-1]["sessions"]
    change = 100 * (rss["after"] - rss["before"]) / rss["before"]
    sink_ms = apart["two"]["ms_per_reminder"]["sink"] if apart else None
    cpu = {"one_worker": one, "two_workers": two}
    cpu |= {f"sink_apart_{k}_worker{'s' if k == 'two' else ''}": v for k, v in apart.items()}
    figures = {
        "reminders": n,
        "repeat": args.repeat,
        "worker_rate": worker_rate,
        "floor_rate": floor_rate,
        "wire_rate": wire_rate,
        "smtp_sessions": sessions,
        "warmup_reminders": WARMUP,
        "rss_before_mb": rss["before"],
        "rss_after_mb": rss["after"],
        "rss_change_pct": change,
        "rss_peak_mb": rss["peak"],
        "rss_end_mb": rss["end"],
        "rss_end_reminders": rss["end_reminders"],
        "two_worker_mode": "two --pool=solo worker processes consuming one queue",
        "two_worker_rate": two_rate,
        "two_worker_ratio": two_rate / worker_rate,
        "two_worker_split": two["split"],
        "sink_apart_worker_rate": apart["one"]["rate"] if apart else None,
        "sink_apart_two_worker_rate": apart["two"]["rate"] if apart else None,
        "sink_apart_two_worker_ratio": (
            apart["two"]["rate"] / apart["one"]["rate"] if apart else None
        ),
        "sink_ms_per_message": sink_ms,
        "commit_ms": commit,
        "cpu": {
            k: {x: y for x, y in v.items() if x not in ("rate", "split")} for k, v in cpu.items()
        },
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"| reminders per run | {n:,} (median of {args.repeat} runs) |")
    print("|---|---|")
    print(f"| one worker, batch {BATCH} | {worker_rate:,.0f} reminders/s ({sessions:,} sessions) |")
    print(f"| smtplib, messages built as sent | {floor_rate:,.0f} messages/s |")
    print(f"| smtplib, bytes prebuilt (the wire alone) | {wire_rate:,.0f} messages/s |")
    print(f"| ratio smtplib / worker | {floor_rate / worker_rate:.2f} |")
    print(
        f"| two worker processes (solo, one queue) | {two_rate:,.0f} reminders/s "
        f"(sent {' / '.join(f'{x:,}' for x in two['split'])}) |"
    )
    print(f"| ratio two workers / one (target ≥ 1.7) | {two_rate / worker_rate:.2f} |")
    if apart:
        print(
            f"| sink in its own process: one / two workers | {apart['one']['rate']:,.0f} / "
            f"{apart['two']['rate']:,.0f} reminders/s, ratio "
            f"{apart['two']['rate'] / apart['one']['rate']:.2f} |"
        )
        print(f"| sink CPU per message | {sink_ms:.2f} ms (at most {1000 / sink_ms:,.0f}/s) |")
    print(
        f"| worker RSS after {WARMUP} warm-up → after {n:,} more (target ±10%) | "
        f"{rss['before']:.1f} → {rss['after']:.1f} MB ({change:+.1f}%), peak {rss['peak']:.1f} |"
    )
    print(f"| worker RSS after {rss['end_reminders']:,} reminders | {rss['end']:.1f} MB |")
    print(
        f"| a one-row UPDATE committed, before / after the runs | "
        f"{commit[0]:.2f} / {commit[1]:.2f} ms (median) |"
    )
    names = [part for part in CPU_ORDER if any(part in v["cores"] for v in cpu.values())]
    print("\n| cores busy (CPU ms per reminder) | " + " | ".join(names) + " | machine |")
    print("|---" * (len(names) + 2) + "|")
    for label, v in cpu.items():
        cells = [
            f"{v['cores'].get(part, 0):.2f} ({v['ms_per_reminder'].get(part, 0):.2f})"
            for part in names + ["machine"]
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n| workers' time per reminder, ms | on a CPU | waiting for a CPU | asleep (I/O) |")
    print("|---|---|---|---|")
    for label, v in cpu.items():
        print(
            f"| {label} | "
            + " | ".join(f"{t:.2f}" for t in v["worker_ms_per_reminder"].values())
            + " |"
        )
    print("\n| workers' database backends, share of looks | states |")
    print("|---|---|")
    for label, v in cpu.items():
        states = ", ".join(f"{state} {share:.0%}" for state, share in v["backend_states"].items())
        print(f"| {label} | {states} |")


if __name__ == "__main__":
    main()
