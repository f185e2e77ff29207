"""Several hosts: two web hosts, two worker hosts, the database host; one worker host dies and
one web host loses PostgreSQL for 10 s. No reminder is lost or doubled, no request fails.

The hosts are network namespaces with veth pairs (tests/reliability/hosts.py); PostgreSQL,
Redis and the SMTP sink stay in this namespace, the "database host", reached through each
host's gateway address. Each web host runs gunicorn as in production (gthread, 2 processes of
4 threads, DEBUG off, manifest static files); each worker host runs a Celery worker with 2
pool processes. The test plays beat (it asks for send runs as beat's minute would) and the
proxy in front: it spreads signed-in staff requests over both web hosts in turn, sticky
nothing, each session used on both, the sessions in the database.

While 2,000 due reminders go out:

- web host 1 is cut from PostgreSQL for 10 s: nftables in its namespace drops the port both
  ways, a partition (packets vanish; nothing is refused). DATABASE_URL carries
  connect_timeout and tcp_user_timeout, as docs/DEPLOY.md advises for a database on another
  host, so a request there ends within seconds: 503 with the "try again in a moment" page. Web
  host 2 answers every request meanwhile; once the database is back every request to web
  host 1 is answered again (never a 500).
- worker host 1 is killed mid-batch (SIGKILL to every process in its namespace, a power
  cut), its senders in the middle of messages and holding rows in flight, at an instant when
  none of its messages lies between the relay's acceptance and the update of its row (the
  one instant where a kill repeats a message by design; kill_between_messages says how and
  why). Worker host 2 keeps sending; the rows the dead host held are returned by the sweeper
  (run with a clock 10 minutes on, as beat's sweep would find them), and worker host 1 comes
  back (a new worker, as systemd starts it) and helps finish.

Every reminder must reach the SMTP sink exactly once (by Message-ID), and every request be
answered (200, still signed in) or, on the cut host during the cut, refused with the 503 page.
"""

from __future__ import annotations

import http.client
import itertools
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from clinic.accounts.roles import Role
from clinic.reminders.models import Reminder
from clinic.reminders.sending import STUCK_AFTER, sweep_stuck_reminders
from tests.conftest import TEST_REDIS_URL, services_required
from tests.factories import PatientFactory, UserFactory
from tests.reliability import hosts
from tests.reliability.support import (
    SEND_REMINDERS,
    Proc,
    expected_message_ids,
    make_due_reminders,
    on_postgresql,
    received_ids,
    results,
    statuses,
    wait_for,
)
from tests.second_factor import authenticator_for
from tests.workers import worker_database_url, worker_env

# alone: it times a worker host's kill against the mail relay's replies; another test
# process loading the two cores stretches that window until a message is sent twice.
pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.alone, pytest.mark.postgresql]

REMINDERS = 2000
BATCH = 100
CONCURRENCY = 2  # pool processes per worker host
CUT_WHEN_RECEIVED = 100  # the web host's cut starts once the sink holds this many messages
KILL_WHEN_RECEIVED = 500  # and the worker host dies at this many, during the cut
CUT_SECONDS = 10.0
AFTER_SECONDS = 4.0  # requests go on this long after the database is back
LOAD_THREADS = 4
WEB_PORT = 8000
SMTP_PORT = 2525
SITE = "clinic.test"  # the name the proxy passes in Host
# A database on another host: give up on a connection attempt after 3 s and on unanswered
# packets after 4 s, so a partition answers 503 in seconds instead of holding every thread.
DATABASE_OPTIONS = "connect_timeout=3&tcp_user_timeout=4000"
REFUSED_PAGE = b"try again in a moment"
SIGNED_IN = b'data-testid="signed-in-as"'


@pytest.fixture
def network(services, tmp_path):
    """The test's hosts; torn down before `services`, so every process is dead before the
    tables are flushed."""
    if not on_postgresql():
        pytest.skip("PostgreSQL only: SQLite has no server for a host to be cut from")
    problem = hosts.problem()
    if problem:
        if services_required():
            pytest.fail(problem)
        pytest.skip(problem)
    made = hosts.Network()
    try:
        yield made
    finally:
        made.close()
        assert not made.left_over(), made.left_over()


# The proxy in front: staff requests to both web hosts in turn --------------------------------


@dataclass
class Answer:
    host: str
    path: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer at all
    detail: str

    @property
    def answered(self) -> bool:
        return self.status == 200 and self.detail == "signed in"

    @property
    def refused_cleanly(self) -> bool:
        return self.status == 503 and self.detail == "refused"


class StaffLoad:
    """Threads sending signed-in staff requests round robin over the web hosts, as a proxy
    with no stickiness would; every answer is kept."""

    def __init__(self, web: dict[str, str], cookies: list[str], paths: list[str]):
        self.web = list(web.items())
        self.cookies = cookies
        self.paths = paths
        self.answers: list[Answer] = []
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, daemon=True) for _ in range(LOAD_THREADS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            turn = next(self._turn)
            name, address = self.web[turn % len(self.web)]
            answer = self.get(name, address, self.paths[turn // 2 % len(self.paths)], turn)
            with self._lock:
                self.answers.append(answer)

    def get(self, name: str, address: str, path: str, turn: int) -> Answer:
        started = time.monotonic()
        cookie = f"{settings.SESSION_COOKIE_NAME}={self.cookies[turn % len(self.cookies)]}"
        client = http.client.HTTPConnection(address, WEB_PORT, timeout=30)
        try:
            client.request("GET", path, headers={"Host": SITE, "Cookie": cookie})
            response = client.getresponse()
            status, body = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            return Answer(name, path, started, time.monotonic(), 0, repr(exc))
        finally:
            client.close()
        if status == 200:
            detail = "signed in" if SIGNED_IN in body else "not signed in"
        elif status == 503:
            detail = "refused" if REFUSED_PAGE in body else body[:200].decode(errors="replace")
        else:
            detail = body[:200].decode(errors="replace")
        return Answer(name, path, started, time.monotonic(), status, detail)


# The hosts' processes -------------------------------------------------------------------------


def _database_url(host: hosts.Host) -> str:
    url = urlsplit(worker_database_url())
    return f"{url.scheme}://{url.username}:{url.password or ''}@{host.gateway}:5432{url.path}"


def _env(services, host: hosts.Host, static_root) -> dict:
    """Production settings, each address the host's view of the database host."""
    return worker_env(
        broker_url=f"redis://{host.gateway}:6379{urlsplit(TEST_REDIS_URL).path}",
        var_dir=services.tmp_path / f"var-{host.name}",
        CELERY_QUEUE=services.queue,
        DATABASE_URL=f"{_database_url(host)}?{DATABASE_OPTIONS}",
        EMAIL_URL=f"smtp://{host.gateway}:{SMTP_PORT}",
        LOG_LEVEL="INFO",
        SECRET_KEY=settings.SECRET_KEY,  # one key on every host (and the test's sessions)
        ALLOWED_HOSTS=SITE,
        SECURE_SSL_REDIRECT="false",  # plain HTTP between the test and the hosts
        SECURE_COOKIES="false",
        STATIC_ROOT=str(static_root),
    )


def _start(services, host: hosts.Host, name: str, args: list[str], env: dict) -> Proc:
    proc = Proc(
        name,
        [*host.exec_args(), sys.executable, "-m", *args],
        env,
        services.tmp_path / f"{name}-{len(services.started)}.log",
    )
    services.started.append(proc)  # stopped by the services fixture, whatever happens
    return proc


def start_web(services, host: hosts.Host, static_root) -> Proc:
    """gunicorn as docs/DEPLOY.md's unit starts it, on the host's own address."""
    args = ["gunicorn", "clinic.wsgi", "--worker-class", "gthread", "--workers", "2"]
    args += ["--threads", "4", "--bind", f"{host.address}:{WEB_PORT}", "--no-control-socket"]
    return _start(services, host, host.name, args, _env(services, host, static_root))


def start_worker(services, host: hosts.Host, static_root) -> Proc:
    args = f"celery -A clinic worker --concurrency={CONCURRENCY} --loglevel=INFO".split()
    args += ["--queues", services.queue, "--hostname", f"{host.name}-{services.queue}@%h"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]  # faster start
    return _start(services, host, host.name, args, _env(services, host, static_root))


def collect_static(static_root) -> None:
    """The manifest the web hosts' storage reads (hashed names; compression left out: it
    takes most of collectstatic's time and changes nothing here)."""
    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": manifest}}
    with override_settings(STORAGES=storages, STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)


def staff_sessions(count: int) -> list[str]:
    """Session keys of a signed-in nurse, each past the second factor: the session names a
    confirmed authenticator, as tests/second_factor.py does for the roles that need one."""
    nurse = UserFactory(username="nurse.hosts", roles=[Role.CLINICAL_STAFF])
    device = authenticator_for(nurse)
    keys = []
    for _ in range(count):
        client = Client()
        client.force_login(nurse)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        keys.append(session.session_key)
    return keys


def _up(address: str) -> bool:
    client = http.client.HTTPConnection(address, WEB_PORT, timeout=5)
    try:
        client.request("GET", "/healthz", headers={"Host": SITE})
        return client.getresponse().status == 200
    except OSError:
        return False
    finally:
        client.close()


# The test ---------------------------------------------------------------------------------------


@dataclass
class Deployment:
    web: list[hosts.Host]
    workers: list[hosts.Host]
    webs: list[Proc]
    senders: list[Proc]
    static_root: object

    def sender_logs(self) -> str:
        return "".join(f"--- {p.name}\n{p.log()}" for p in self.senders)


def deploy(network, services, smtp_sink, tmp_path) -> Deployment:
    """Four hosts, the forwarder, static files; gunicorn and Celery started and ready."""
    web = [network.add("web1"), network.add("web2")]
    workers = [network.add("work1"), network.add("work2")]
    pg_port = int(connection.settings_dict["PORT"] or 5432)
    redis_port = urlsplit(TEST_REDIS_URL).port or 6379
    routes = [(h.gateway, 5432, pg_port) for h in web + workers]
    routes += [(h.gateway, 6379, redis_port) for h in web + workers]
    routes += [(h.gateway, SMTP_PORT, smtp_sink.port) for h in workers]
    network.forward(routes, tmp_path / "forwarder.log")
    static_root = tmp_path / "static"
    collect_static(static_root)
    started = Deployment(
        web=web,
        workers=workers,
        webs=[start_web(services, host, static_root) for host in web],
        senders=[start_worker(services, host, static_root) for host in workers],
        static_root=static_root,
    )
    for proc in started.senders:
        proc.wait_ready()
    for host, proc in zip(web, started.webs, strict=True):
        wait_for(
            lambda h=host, p=proc: _up(h.address) or not p.alive(),
            f"gunicorn on {host.name}",
            details=proc.log,
        )
        assert proc.alive(), proc.log()
    return started


def kill_between_messages(network, host: hosts.Host, sink, message_ids: dict[int, str]) -> int:
    """SIGKILL every process on `host` mid-batch, at an instant when none of its messages lies
    between the relay's acceptance and the update of its row; returns how many died.

    That instant is the one place where a kill repeats a message by design: delivery is at
    least once (the row is still in flight, the sweep returns it, it goes again with the same
    Message-ID; tests/reliability/test_worker_killed_mid_batch.py counts those repeats). So
    the host's path to the relay fails first (its outgoing SMTP packets dropped): its senders
    stop inside messages the relay has not accepted, while a message already accepted is still
    answered and recorded. Once no row in flight has its message at the relay, the power goes.
    """
    network.block(host, SMTP_PORT, both_ways=False)
    time.sleep(0.3)  # packets that left before the rule reach the relay

    def no_message_accepted_and_unrecorded() -> bool:
        at_relay = set(received_ids(sink))
        in_flight = Reminder.objects.filter(status=Reminder.Status.IN_FLIGHT)
        return not {message_ids[pk] for pk in in_flight.values_list("pk", flat=True)} & at_relay

    wait_for(no_message_accepted_and_unrecorded, "a moment between messages", interval=0.01)
    return network.kill(host)


def _all_sent(reminders) -> bool:
    pks = [r.pk for r in reminders]
    return Reminder.objects.filter(pk__in=pks, status=Reminder.Status.SENT).count() == len(pks)


def _wake(services) -> bool:
    """Beat's minute: more send runs once the queue is empty and rows are still due."""
    if services.queue_length() == 0:
        services.wake_senders(BATCH)
    return False


def sweep_the_dead_hosts_rows(services, killed_at, details) -> int:
    """Once nothing is due and only rows claimed before the kill are in flight (the dead
    host's), sweep as beat would 10 minutes after the kill; returns the rows swept."""

    def only_the_dead_hosts_rows_left() -> bool:
        if Reminder.objects.filter(status=Reminder.Status.SCHEDULED).exists():
            return _wake(services)
        return not Reminder.objects.filter(
            status=Reminder.Status.IN_FLIGHT, claimed_at__gte=killed_at
        ).exists()

    wait_for(only_the_dead_hosts_rows_left, "every other row sent", interval=0.2, details=details)
    return sweep_stuck_reminders(now=killed_at + STUCK_AFTER)


def test_several_hosts_lose_no_reminder_and_fail_no_request(
    network, services, smtp_sink, tmp_path, figures
):
    began = time.monotonic()
    sessions = staff_sessions(4)
    patients = [PatientFactory() for _ in range(5)]
    paths = ["/staff/", "/patients/", *(f"/patients/{p.pk}/" for p in patients)]
    hosts_up = deploy(network, services, smtp_sink, tmp_path)
    web, workers, senders = hosts_up.web, hosts_up.workers, hosts_up.senders
    reminders = make_due_reminders(REMINDERS, "hosts")
    expected = expected_message_ids(reminders)
    message_ids = {pk: mid for mid, pk in expected.items()}
    ready_after = time.monotonic() - began

    load = StaffLoad({h.name: h.address for h in web}, sessions, paths)
    load.start()
    try:
        time.sleep(1.0)  # a moment of ordinary traffic first
        services.wake_senders(BATCH)
        wait_for(
            lambda: len(smtp_sink.messages) >= CUT_WHEN_RECEIVED,
            f"{CUT_WHEN_RECEIVED} messages at the relay",
            interval=0.02,
            details=hosts_up.sender_logs,
        )
        network.block(web[0], 5432)
        cut_at = time.monotonic()
        wait_for(
            lambda: len(smtp_sink.messages) >= KILL_WHEN_RECEIVED,
            f"{KILL_WHEN_RECEIVED} messages at the relay",
            interval=0.01,
            details=hosts_up.sender_logs,
        )
        killed = kill_between_messages(network, workers[0], smtp_sink, message_ids)
        killed_at = timezone.now()
        at_kill = len(smtp_sink.messages)
        senders[0].kill()  # reaps the dead processes, closes the log
        assert at_kill < REMINDERS, "the batch ended before the kill: raise REMINDERS"
        time.sleep(max(0.0, cut_at + CUT_SECONDS - time.monotonic()))
        network.mend(web[0], 5432)
        mended_at = time.monotonic()

        # Worker host 1 comes back, network and all, and starts its worker again.
        network.mend(workers[0], SMTP_PORT)
        senders.append(start_worker(services, workers[0], hosts_up.static_root))
        swept = sweep_the_dead_hosts_rows(services, killed_at, hosts_up.sender_logs)
        wait_for(
            lambda: _all_sent(reminders) or _wake(services),
            "every reminder sent",
            interval=0.2,
            details=hosts_up.sender_logs,
        )
        time.sleep(max(0.0, mended_at + AFTER_SECONDS - time.monotonic()))
    finally:
        load.stop()
    took = time.monotonic() - began

    received = received_ids(smtp_sink)
    figures(
        "Several hosts: reminders delivered exactly once",
        sum(1 for mid in expected if received[mid] == 1),
        REMINDERS,
    )
    answers = load.answers
    cut_host = web[0].name

    def during_the_cut(a: Answer) -> bool:
        return a.host == cut_host and a.started < mended_at and a.ended > cut_at

    def fine(a: Answer) -> bool:
        return a.answered or (during_the_cut(a) and a.refused_cleanly)

    figures(
        "Several hosts: web requests answered or refused cleanly",
        sum(map(fine, answers)),
        len(answers),
    )
    tally = Counter((a.host, "cut" if during_the_cut(a) else "-", a.status) for a in answers)
    sent_by = Counter()  # what each worker host's completed runs sent (the killed run: none)
    for proc in senders:
        sent_by[proc.name] += sum(run["sent"] for run in results(proc, SEND_REMINDERS))
    print(
        f"\nready in {ready_after:.1f} s, all done {took:.1f} s after the start; worker host "
        f"killed at {at_kill} messages ({killed} processes), {swept} of its rows swept; "
        f"sent in completed runs: {dict(sent_by)}; "
        f"answers (host, during the cut, status): {dict(sorted(tally.items()))}"
    )
    assert statuses(reminders) == {Reminder.Status.SENT: REMINDERS}
    assert set(received) == set(expected), "a reminder is missing, or a stranger arrived"
    doubled = {mid: n for mid, n in received.items() if n > 1}
    assert not doubled, f"sent more than once: {doubled}"
    assert swept, "the dead host held no rows in flight: kill it earlier in the batch"
    assert sent_by[workers[1].name], "the surviving worker host sent nothing"

    failures = [a for a in answers if not fine(a)]
    assert not failures, failures[:10]
    assert any(a.refused_cleanly for a in answers), "the cut never reached a request"
    after = [a for a in answers if a.host == cut_host and a.started >= mended_at]
    assert after, "no request reached the cut host after the database came back"
    assert all(a.answered for a in after)
    meanwhile = [
        a for a in answers if a.host != cut_host and cut_at <= a.started and a.ended <= mended_at
    ]
    assert meanwhile, "no request reached the other web host during the cut"  # all answered
