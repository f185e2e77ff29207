"""A real Celery worker process, with its embedded beat, runs `heartbeat` on a real broker.

No eager mode and no mocks: beat schedules the task from the project's schedule, the broker
carries it, the worker writes the time to the database this test reads, and /healthz shows it.
"""

import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from clinic.reminders.models import Heartbeat
from clinic.reminders.tasks import HEARTBEAT
from tests.conftest import TEST_REDIS_URL
from tests.workers import worker_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker(tmp_path):
    processes = []

    def start(broker_url: str) -> subprocess.Popen:
        env = worker_env(broker_url=broker_url, var_dir=tmp_path / "var", HEARTBEAT_SECONDS="1")
        queue = f"test-{secrets.token_hex(4)}"  # never pick up another run's messages
        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "clinic",
                "worker",
                "--beat",
                "--pool=solo",
                "--loglevel=INFO",
                "--queues",
                queue,
                "--schedule",
                str(tmp_path / "beat-schedule"),
            ],
            cwd=ROOT,
            env={**env, "CELERY_QUEUE": queue},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for_heartbeat(process, log_path, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = Heartbeat.objects.filter(name=HEARTBEAT).first()
        if row is not None:
            return row
        assert process.poll() is None, Path(log_path).read_text()
        time.sleep(0.25)
    pytest.fail(f"no heartbeat within {seconds} s:\n{Path(log_path).read_text()}")


@pytest.mark.parametrize(
    "broker", [pytest.param("redis", marks=pytest.mark.redis), pytest.param("filesystem")]
)
def test_a_real_worker_and_beat_run_heartbeat_and_healthz_shows_its_time(
    client, start_worker, tmp_path, broker
):
    broker_url = TEST_REDIS_URL if broker == "redis" else "filesystem://"
    process = start_worker(broker_url)
    row = _wait_for_heartbeat(process, tmp_path / "worker.log")
    body = client.get(reverse("reminders:healthz")).json()
    assert body["heartbeat_last_run_at"] is not None
    assert body["heartbeat_last_run_at"] >= row.last_run_at.isoformat()
    log = (tmp_path / "worker.log").read_text()
    assert "clinic.tasks.heartbeat" in log
    assert f"{broker}://" in log
