"""The full patient export at each size: its time, and the web process's memory around it.

Issue 15 asks that the export of every patient (/patients/?_export=csv, the list's columns)
streams 1,000,000 patients in under 60 s with the web process's resident memory flat: RSS
before and after within 20 MB. bench/run.py calls `measure` after the page load, while each
size's gunicorn still serves its copy: a prescriber signs in (with a recovery code the load
did not use), asks for the export and reads it to the end as a browser would, counting the
lines. Meanwhile a thread reads VmRSS of every gunicorn worker (/proc/PID/status) every
20 ms. The worker that served the export is the one whose CPU time grew the most; its RSS
before, at its peak and after is what the figures report.
"""

from __future__ import annotations

import http.cookiejar
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

SAMPLE_SECONDS = 0.02
READ_BYTES = 1 << 16
LOGIN, SECOND_FACTOR, EXPORT = "/accounts/login/", "/accounts/two-factor/code/", "/patients/"


def workers_of(master: int) -> list[int]:
    """The pids of gunicorn's workers: the processes whose parent is the master."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_token(jar: http.cookiejar.CookieJar) -> str:
    for cookie in jar:
        if cookie.name == "csrftoken":
            return cookie.value
    raise RuntimeError("no csrftoken cookie")


def signed_in(url: str, username: str, password: str, code: str):
    """An opener holding a prescriber's session that passed the second factor."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def post(path: str, data: dict) -> None:
        opener.open(f"{url}{path}").read()  # the form, and its CSRF cookie
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": csrf_token(jar)}).encode()
        try:
            opener.open(f"{url}{path}", data=body).read()
        except urllib.error.HTTPError as answer:
            if answer.code == 302:
                return
            raise
        raise RuntimeError(f"POST {path} did not redirect: refused")

    post(LOGIN, {"username": username, "password": password})
    post(SECOND_FACTOR, {"code": code})
    return opener


def measure(url: str, master: int, patients: int, username: str, password: str, code: str):
    """Export every patient once; the figures, or RuntimeError if the file is not whole."""
    opener = signed_in(url, username, password, code)
    workers = workers_of(master)
    before = {pid: rss_mb(pid) for pid in workers}
    ticks = {pid: cpu_ticks(pid) for pid in workers}
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            for pid in workers:
                peak[pid] = max(peak[pid], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    first_byte = None
    size = lines = 0
    try:
        with opener.open(f"{url}{EXPORT}?_export=csv", timeout=600) as response:
            if response.status != 200 or not response.headers["Content-Type"].startswith(
                "text/csv"
            ):
                raise RuntimeError(f"the export answered {response.status}")
            tail = b""
            while chunk := response.read1(READ_BYTES):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                lines += (tail + chunk).count(b"\r\n")  # a line end may straddle two reads
                tail = chunk[-1:]
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    if lines - 1 != patients:
        raise RuntimeError(f"the export had {lines - 1:,} rows, not {patients:,}")
    time.sleep(0.2)  # let the worker finish the request before its memory is read again
    served = max(workers, key=lambda pid: cpu_ticks(pid) - ticks[pid])
    after = rss_mb(served)
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": seconds,
        "first_byte_seconds": first_byte,
        "rows_per_second": (lines - 1) / seconds,
        "rss_before_mb": before[served],
        "rss_peak_mb": max(peak[served], after),
        "rss_after_mb": after,
        "rss_growth_mb": after - before[served],
        "workers": len(workers),
    }


def summary(size: str, figures: dict) -> str:
    return (
        f"export at {size}: {figures['rows']:,} rows, {figures['bytes'] / 1e6:.1f} MB in "
        f"{figures['seconds']:.2f} s (first byte {figures['first_byte_seconds']:.2f} s); "
        f"worker RSS {figures['rss_before_mb']:.1f} MB before, {figures['rss_peak_mb']:.1f} "
        f"at peak, {figures['rss_after_mb']:.1f} after ({figures['rss_growth_mb']:+.1f} MB)"
    )
