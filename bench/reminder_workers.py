"""Helpers of bench/reminders_rate.py (Linux): Celery worker processes, an SMTP sink in a
process of its own, a worker's memory, and where the CPU time goes during a run (/proc).

No Django at import time: this file is also the sink process,

    python bench/reminder_workers.py sink

which prints its port and then answers one command a line on stdin: `count`, `wait N SECONDS`
(blocks until the sink holds N messages or the time is up, then answers the count), `clear`,
`quit`. It is tests/smtp_sink.py's SmtpSink, unchanged, in a process alone, so the messages it
parses do not share a GIL with the bench's own loop, and its CPU time can be read by itself.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
WAIT = 600.0  # longest wait for anything, in seconds
SAMPLE_EVERY = 0.5  # seconds between CPU samples while a run is waited for
STATES_EVERY = 0.1  # seconds between looks at what the workers' database backends are doing
SENT_LOGGED = re.compile(r"reminders: \{.*'sent': (\d+)")


# Processes --------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3 onwards), or None if it ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None: it has ended)."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def status_mb(pid: int, field: str = "VmRSS") -> float:
    """A kB line of /proc/<pid>/status in MiB: VmRSS now, VmHWM the peak so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def children(pid: int) -> list[int]:
    """Direct children of a process (a prefork worker's pool processes)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


SHARED = ("checkpointer", "background writer", "walwriter", "autovacuum launcher", "archiver")


def postgres_processes(database: str) -> dict[int, str]:
    """pid -> "db" (a backend of `database`), "shared" (postmaster, WAL writer, checkpointer,
    background writer). Backends of other databases (other people's runs), parallel workers
    and processes still starting (titled as the postmaster) are left out: they are "other"."""
    found = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() != "postgres":
                continue
            title = (comm.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        pid = int(comm.parent.name)
        if database in title.split():
            found[pid] = "db"
        elif any(f": {name}" in title for name in SHARED) or (
            " -D " in title and (_stat(pid) or ["", ""])[1] == "1"  # the postmaster
        ):
            found[pid] = "shared"
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICK


def redis_cpu_seconds(client) -> float:
    info = client.info("cpu")
    return sum(float(info[k]) for k in ("used_cpu_user", "used_cpu_sys"))


class CpuMeter:
    """CPU seconds used during one timed run, by part: "workers" (the Celery processes),
    "sink" (the sink process, if any), "bench" (this process: polling, publishing, and the
    sink's threads when the sink is in here), "postgres_db" (the backends of the bench
    database but ours), "postgres_bench" (our backend: the polling counts), "postgres_shared"
    (postmaster, WAL writer, checkpointer, ...), "redis" (the whole server), "other" (what the
    whole machine used beyond the parts named: other people's work on this shared machine).

    Also, for the workers' and the database backends' (single) threads, the seconds they spent
    runnable but waiting for a CPU (/proc/<pid>/schedstat): what the busy machine cost them.

    Sampled at the start, every SAMPLE_EVERY seconds while the run is waited for (`tick`), and
    at the end: a process that ends in between (a database connection replaced after
    CONN_MAX_AGE) keeps its last sample, one that starts counts from zero.

    Every STATES_EVERY seconds it also counts what these workers' backends are doing
    (pg_stat_activity: idle, i.e. waiting for the worker; running; or waiting, e.g. IO:WALSync
    for the fsync of a commit), through `db` (a DB-API connection of this process).
    """

    QUEUED = ("workers", "postgres_db")  # parts whose runqueue wait is read

    def __init__(self, *, workers: list, sink: int | None, database: str, db, own_backend: int):
        self.workers = [w.pid for w in workers]  # start_workers' processes
        self.names = [w.name for w in workers]
        self.sink = sink
        self.database, self.db, self.own_backend = database, db, own_backend
        self.states: dict[str, int] = {}
        self.next_states = 0.0
        self.first: dict[tuple[str, int], tuple[float, float]] = {}
        self.last: dict[tuple[str, int], tuple[float, float]] = {}
        self.next_sample = 0.0

    def _parts(self) -> dict[int, str]:
        parts = {pid: f"postgres_{kind}" for pid, kind in postgres_processes(self.database).items()}
        parts[self.own_backend] = "postgres_bench"
        for worker in self.workers:
            parts[worker] = "workers"
            for child in children(worker):  # prefork pool processes, if any
                parts[child] = "workers"
        if self.sink is not None:
            parts[self.sink] = "sink"
        return parts

    def sample(self, *, starting: bool = False) -> None:
        for pid, part in self._parts().items():
            seconds = cpu_seconds(pid)
            queued = runqueue_seconds(pid) if part in self.QUEUED else 0.0
            if seconds is None or queued is None:
                continue
            if (part, pid) not in self.first:
                # Counted from zero only if it started after the first sample; one that was
                # there already but not seen (its title changed) counts from now.
                fields = _stat(pid)
                born_since = fields is not None and int(fields[19]) >= self.started_ticks
                new = not starting and born_since
                self.first[part, pid] = (0.0, 0.0) if new else (seconds, queued)
            self.last[(part, pid)] = (seconds, queued)
        self.next_sample = time.monotonic() + SAMPLE_EVERY

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_sample:
            self.sample()
        if now >= self.next_states:
            self.look_at_backends()

    def look_at_backends(self) -> None:
        with self.db.cursor() as cursor:
            cursor.execute(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = ANY(%s)",
                [self.names],
            )
            for state, kind, event in cursor.fetchall():
                label = state if kind is None or state != "active" else f"{kind}:{event}"
                self.states[label] = self.states.get(label, 0) + 1
        self.next_states = time.monotonic() + STATES_EVERY

    def start(self, redis_client) -> None:
        self.redis = redis_client
        self.redis_start = redis_cpu_seconds(redis_client)
        self.machine_start = machine_busy_seconds()
        self.bench_start = _own_cpu()
        self.started_ticks = float(Path("/proc/uptime").read_text().split()[0]) * TICK
        self.sample(starting=True)

    def stop(self) -> tuple[dict[str, float], dict[str, float]]:
        """(CPU seconds by part, seconds waiting for a CPU by part); `states` holds the counts
        of the backends' states seen."""
        self.sample()
        used: dict[str, float] = {"workers": 0.0}
        queued = dict.fromkeys(self.QUEUED, 0.0)
        for (part, pid), (seconds, waited) in self.last.items():
            used[part] = used.get(part, 0.0) + seconds - self.first[part, pid][0]
            if part in queued:
                queued[part] += waited - self.first[part, pid][1]
        used["bench"] = _own_cpu() - self.bench_start
        used["redis"] = redis_cpu_seconds(self.redis) - self.redis_start
        used["other"] = machine_busy_seconds() - self.machine_start - sum(used.values())
        return used, queued


def commit_ms(db, table: str = "bench_commit_probe", times: int = 200) -> float:
    """Median milliseconds of a one-row UPDATE committed on its own (autocommit), as each
    reminder's "sent" is: mostly the WAL fsync, shared with everything else on the server."""
    with db.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (id int PRIMARY KEY, n int)")
        cursor.execute(f"INSERT INTO {table} VALUES (1, 0) ON CONFLICT DO NOTHING")
        spent = []
        for _ in range(times):
            started = time.perf_counter()
            cursor.execute(f"UPDATE {table} SET n = n + 1 WHERE id = 1")  # noqa: S608
            spent.append(1000 * (time.perf_counter() - started))
        cursor.execute(f"DROP TABLE {table}")
    return sorted(spent)[len(spent) // 2]


def runqueue_seconds(pid: int) -> float | None:
    """Seconds the process's main thread was runnable but not running (waiting for a CPU)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError):
        return None


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


# Celery workers ---------------------------------------------------------------------------


def start_workers(specs: list[dict], env: dict, log_dir: Path, workers: list) -> None:
    """One `celery worker --pool=solo` per spec ({"name", "queues", "port": the SMTP sink's}),
    all started at once and added to `workers` (so the caller stops them even if one fails to
    start); returns when each logged "ready". Each process is `python -m celery` itself (no pool
    children), in a session of its own so that stopping it stops nothing else."""
    for spec in specs:
        log = log_dir / f"{spec['name']}.log"
        worker_env = {
            **env,
            "EMAIL_URL": f"smtp://127.0.0.1:{spec['port']}",
            "PGAPPNAME": spec["name"],  # libpq: its backends' application_name
        }
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "clinic",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--queues",
                ",".join(spec["queues"]),
                "--hostname",
                f"{spec['name']}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=worker_env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log, process.name = log, spec["name"]  # type: ignore[attr-defined]
        workers.append(process)
    for process in workers:
        wait_until(lambda p=process: " ready." in p.log.read_text(), "a worker to start", workers)


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in workers:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def sent_logged(worker: subprocess.Popen) -> int:
    """Reminders this worker says it sent so far (its "reminders: {...}" log line per task)."""
    return sum(int(m.group(1)) for m in SENT_LOGGED.finditer(worker.log.read_text()))  # type: ignore[attr-defined]


def wait_until(predicate, what: str, workers: list, *, every: float = 0.01, tick=None) -> None:
    """Poll `predicate` every `every` seconds (0: it blocks by itself), stopping if a worker
    died or after WAIT seconds; `tick` is called on each round (CPU samples)."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        for worker in workers:
            if worker.poll() is not None:
                sys.exit(f"a worker stopped while waiting for {what}:\n{worker.log.read_text()}")
        if time.monotonic() > deadline:
            tails = "\n".join(w.log.read_text()[-3000:] for w in workers)
            sys.exit(f"gave up waiting for {what}:\n{tails}")
        if tick is not None:
            tick()
        if every:
            time.sleep(every)


# The SMTP sink in a process of its own --------------------------------------------------


class SinkProcess:
    """tests/smtp_sink.py's SmtpSink in a child process, driven over a pipe."""

    def __init__(self):
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, __file__, "sink"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.pid = self.process.pid
        self.port = int(self._read())

    def _read(self) -> str:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the sink process ended")
        return line.strip()

    def _ask(self, command: str) -> str:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def count(self) -> int:
        return int(self._ask("count"))

    def wait(self, n: int, seconds: float) -> int:
        return int(self._ask(f"wait {n} {seconds}"))

    def clear(self) -> None:
        self._ask("clear")

    def __enter__(self) -> SinkProcess:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._ask("quit")
            self.process.wait(timeout=10)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def _sink_main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.smtp_sink import SmtpSink

    class Sink(SmtpSink):
        def __init__(self):
            super().__init__()
            self.arrived = threading.Condition(self._lock)

        def record(self, sender, recipients, data: bytes) -> None:
            super().record(sender, recipients, data)
            with self.arrived:
                self.arrived.notify_all()

    def reply(text) -> None:
        sys.stdout.write(f"{text}\n")
        sys.stdout.flush()

    with Sink() as sink:
        reply(sink.port)
        for line in sys.stdin:
            command, *args = line.split()
            if command == "count":
                reply(len(sink.messages))
            elif command == "wait":
                n, seconds = int(args[0]), float(args[1])
                with sink.arrived:
                    sink.arrived.wait_for(lambda n=n: len(sink._messages) >= n, timeout=seconds)
                    reply(len(sink._messages))
            elif command == "clear":
                with sink.arrived:
                    sink._messages.clear()
                    sink.envelopes.clear()
                reply("ok")
            elif command == "quit":
                reply("bye")
                break


if __name__ == "__main__" and sys.argv[1:] == ["sink"]:
    _sink_main()
