"""`make run-prod-local`, the production shape on loopback, drains due reminders: each one sent
exactly once, by both workers, while gunicorn answers /healthz; SIGTERM stops all of it.

The test runs scripts/run-prod-local.sh, the script (and Procfile.prod-local) behind
`make run-prod-local`, with its settings pointed at the test: free ports, a private var dir and
STATIC_ROOT, the test database (PostgreSQL, or the SQLite file on the embedded pass), the SMTP
sink, and a one-second beat asking for two overlapping runs at each tick
(tests/reliability/fast_beat_two_senders.py), so that both workers send. The script starts
its own redis-server (append-only file, noeviction), gunicorn (2 processes), 2 workers and
exactly 1 beat.

honcho starts each process in a session of its own, so killing one process group is not
enough: the test records every session below the script and, whatever happens, SIGKILLs what
is left of them at the end.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import redis

from clinic.reminders.models import Heartbeat
from clinic.reminders.tasks import HEARTBEAT
from tests.conftest import services_required
from tests.reliability.support import (
    ROOT,
    Proc,
    all_sent,
    assert_each_sent_once,
    expected_message_ids,
    free_port,
    make_due_reminders,
    on_postgresql,
    wait_for,
)
from tests.workers import NOT_INHERITED, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.redis]

SCRIPT = ROOT / "scripts" / "run-prod-local.sh"
REMINDERS = 400  # 2 runs of 50 rows at each one-second tick: 4 ticks, both workers
START_TIMEOUT = 120.0  # migrate + collectstatic (about 15 s of compressing) + start-up
STOP_TIMEOUT = 20.0  # honcho waits 5 s before it SIGKILLs; warm shutdowns take less
SEND = "clinic.tasks.send_due_reminders"
# honcho prefixes each line: "18:33:27 worker1.1 | <the process's own line>"
LINE = re.compile(r"^\S+ (?P<process>[\w-]+)\.\d+\s*\| (?P<text>.*)$")
SUCCEEDED = re.compile(r"Task (?P<task>[\w.]+)\[[^\]]+\] succeeded in [\d.]+s: (?P<result>.*)$")


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a live process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid, _pgrp, session = text.rpartition(")")[2].split()[:4]
    return state, int(ppid), int(session)


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


class Shape:
    """The shape's script, run in its own session; knows every session it led to."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.web_port = int(env["PROD_LOCAL_WEB_PORT"])
        self.redis_port = int(env["PROD_LOCAL_REDIS_PORT"])
        self.proc = Proc("shape", ["bash", str(SCRIPT)], env, tmp_path / "shape.log")
        self.sessions = {self.proc.pgid}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def lines(self, process: str) -> list[str]:
        """The log lines of one Procfile process (worker1, worker2, beat, web, redis)."""
        return [
            m["text"]
            for line in self.proc.log().splitlines()
            if (m := LINE.match(line)) and m["process"] == process
        ]

    def results(self, process: str, task: str) -> list[dict]:
        return [
            ast.literal_eval(m["result"])
            for text in self.lines(process)
            if (m := SUCCEEDED.search(text)) and m["task"] == task
        ]

    def track(self) -> None:
        """Add the session of every process below the script (honcho's children lead their
        own sessions; a session id stays with a process even when its parent dies)."""
        parents: dict[int, list[int]] = {}
        for pid in _all_pids():
            if stat := _stat(pid):
                parents.setdefault(stat[1], []).append(pid)
        todo = [self.proc.pgid]
        while todo:
            pid = todo.pop()
            if (stat := _stat(pid)) and stat[0] != "Z":
                self.sessions.add(stat[2])
            todo.extend(parents.get(pid, []))

    def left_over(self) -> list[int]:
        return [
            pid
            for pid in _all_pids()
            if (stat := _stat(pid)) and stat[2] in self.sessions and stat[0] != "Z"
        ]

    def stop(self) -> int | None:
        """SIGTERM to the script's group, as systemd or Ctrl-C would: honcho stops the rest.
        Returns honcho's exit code (None if it did not exit in time)."""
        self.track()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pgid, signal.SIGTERM)
        with contextlib.suppress(Exception):
            return self.proc.popen.wait(timeout=STOP_TIMEOUT)
        return None

    def kill_everything(self) -> None:
        self.track()
        for pid in self.left_over():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for session in self.sessions:  # session leaders lead their process group too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(session, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.popen.wait(timeout=10)
        if not self.proc._log.closed:
            self.proc._log.close()


def _get(url: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError:
        return 0, {}, b""


@pytest.fixture
def shape(transactional_db, tmp_path, smtp_sink):
    """Depends on transactional_db, so the shape stops before the tables are flushed."""
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if services_required():
            pytest.fail(reason)
        pytest.skip(reason)
    web_port = free_port()
    redis_port = free_port()
    while redis_port == web_port:
        redis_port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        PROD_LOCAL_DATABASE_URL=worker_database_url(),
        PROD_LOCAL_WEB_PORT=str(web_port),
        PROD_LOCAL_REDIS_PORT=str(redis_port),
        PROD_LOCAL_VAR_DIR=str(tmp_path / "var"),
        PROD_LOCAL_BEAT_APP="tests.reliability.fast_beat_two_senders",
        PROD_LOCAL_BIN=str(Path(sys.executable).parent),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_LEVEL="INFO",
    )
    started = Shape(tmp_path, env)
    try:
        yield started
    finally:
        started.stop()
        started.kill_everything()


def test_run_prod_local_sends_every_reminder_once_through_two_workers_and_one_beat(
    shape, smtp_sink
):
    log = shape.proc.log
    started_at = time.monotonic()

    def up() -> bool:
        shape.track()
        return _get(shape.url("/healthz"))[0] == 200 or not shape.proc.alive()

    wait_for(up, "gunicorn to answer /healthz", timeout=START_TIMEOUT, interval=0.5, details=log)
    assert shape.proc.alive(), log()
    for worker in ("worker1", "worker2"):
        wait_for(
            lambda w=worker: any(t.endswith(" ready.") for t in shape.lines(w)),
            f"{worker} to be ready",
            details=log,
        )
    wait_for(
        lambda: Heartbeat.objects.filter(name=HEARTBEAT).exists(),
        "a heartbeat: beat -> Redis -> a worker -> the database",
        details=log,
    )
    ready_after = time.monotonic() - started_at
    shape.track()

    reminders = make_due_reminders(REMINDERS, "shape")
    expected = expected_message_ids(reminders)
    wait_for(lambda: all_sent(reminders), "every reminder sent", interval=0.2, details=log)
    drained_after = time.monotonic() - started_at - ready_after
    time.sleep(2.0)  # more beat ticks: none may send anything again

    assert_each_sent_once(smtp_sink, reminders, expected)

    # Both worker processes sent reminders: the claims really ran side by side.
    sent = {w: sum(r["sent"] for r in shape.results(w, SEND)) for w in ("worker1", "worker2")}
    assert sum(sent.values()) == REMINDERS, sent
    assert all(sent.values()), f"a worker sent nothing: {sent}\n{log()}"
    # Exactly one beat, one Redis started by the script, with the production persistence.
    assert log().count("beat: Starting...") == 1, log()
    assert re.search(r"system\s*\| redis\.1 started", log()), log()
    client = redis.Redis(port=shape.redis_port, decode_responses=True)
    try:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        client.close()

    # The web side: gunicorn, production settings, static files collected and served.
    status, _, body = _get(shape.url("/healthz"), Accept="application/json")
    assert status == 200, body
    assert b'"heartbeat_last_run_at": "' in body, body
    status, _, page = _get(shape.url("/accounts/login/"))
    assert status == 200, page[:2000]
    css = re.search(rb'href="(/static/css/clinic\.[0-9a-f]{12}\.css)"', page)
    assert css, "the login page does not link the hashed stylesheet (collectstatic)"
    status, headers, _ = _get(shape.url(css[1].decode()), **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert "immutable" in headers.get("Cache-Control", ""), headers
    assert "Traceback" not in log(), log()
    assert _get(shape.url("/healthz"), Host="clinic.example.org")[0] == 400  # ALLOWED_HOSTS

    # SIGTERM (what Ctrl-C and systemd send) stops every process the script started.
    returncode = shape.stop()
    assert returncode is not None, f"honcho did not exit within {STOP_TIMEOUT:.0f} s\n{log()}"
    wait_for(lambda: not shape.left_over(), "every started process to exit", timeout=5.0)
    assert len(shape.sessions) >= 6, shape.sessions  # script + redis, web, 2 workers, beat
    print(
        f"\n{'PostgreSQL' if on_postgresql() else 'SQLite'}: shape ready in {ready_after:.1f} s, "
        f"{REMINDERS} reminders drained in {drained_after:.1f} s, sent by worker: {sent}, "
        f"runs: {Counter({w: len(shape.results(w, SEND)) for w in sent})}"
    )
