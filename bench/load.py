"""Drive the pages with Locust, interleaved in short rounds, and write every request's time.

    python -m bench.load --plan plan.json --out samples.json

Run by bench/run.py in its own process, the load generator beside the gunicorn servers.
plan.json names, per data size, the server's URL and what bench/prepare.py printed. Locust
(as a library, FastHttpUser) runs --users simulated users with no wait between requests. Each
user signs in once per size as the bench prescriber and as its own bench patient, then every
user works on the same segment: one page at one size for --seconds. A round visits every
(size, page) pair once, in an order shuffled per round, so machine noise lands on all pairs
alike. Requests are attributed to the segment they started in; sign-ins are not measured. A
response with an unexpected status is a failure, and any failure makes the run exit 1: a
benchmark of error pages would measure nothing.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import random
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import gevent
from locust import FastHttpUser, constant, events, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "anon", "prescriber", "registry_admin" or "patient"
    method: str = "GET"
    status: int = 200


PAGES = [
    Page("floor: bare view", "anon"),
    Page("floor: 50-row template", "anon"),
    Page("floor: signed-in frame", "prescriber"),
    Page("login page", "anon"),
    Page("staff worklist", "prescriber"),
    Page("patient list: search", "prescriber"),
    Page("patient list: ID search", "prescriber"),
    Page("patient list: filter", "prescriber"),
    Page("patient list: sort", "prescriber"),
    Page("patient list: page 500", "prescriber"),
    Page("patient list: first page", "prescriber"),
    # The Django admin's changelist of the same patients: what a Django user has for free.
    Page("admin changelist: search", "registry_admin"),
    Page("admin changelist: first page", "registry_admin"),
    Page("patient page", "prescriber"),
    Page("course page", "prescriber"),
    Page("visit form GET", "prescriber"),
    Page("visit form POST", "prescriber", method="POST", status=302),
    Page("dose check", "prescriber"),
    Page("outcomes report", "prescriber"),
    Page("portal start page", "patient"),
    Page("calendar feed", "anon"),
]
BY_NAME = {page.name: page for page in PAGES}


def path_for(page: Page, target: dict, user_index: int, counter) -> tuple[str, dict | None]:
    """The URL (and form data for a POST) of one request to `page`."""
    course, patient = target["course"], target["patient"]
    match page.name:
        case "floor: bare view":
            return "/bench/floor/ok/", None
        case "floor: 50-row template":
            return "/bench/floor/template/", None
        case "floor: signed-in frame":
            return "/bench/floor/frame/", None
        case "login page":
            return "/accounts/login/", None
        case "staff worklist":
            return "/staff/", None
        case "patient list: search":
            return f"/patients/?q={target['search']}", None
        case "patient list: ID search":
            return f"/patients/?q={target['id_search']}", None
        case "patient list: filter":
            return "/patients/?status=in_treatment&risk_category=can_get_pregnant", None
        case "patient list: sort":
            return "/patients/?sort=-enrolled_at", None
        case "patient list: page 500":
            return f"/patients/?after={quote(target['deep_page_cursor'])}", None
        case "patient list: first page":
            return "/patients/", None
        case "admin changelist: search":
            return f"/admin/registry/patient/?q={target['search']}", None
        case "admin changelist: first page":
            return "/admin/registry/patient/", None
        case "patient page":
            return f"/patients/{patient}/", None
        case "course page":
            return f"/courses/{course}/", None
        case "visit form GET":
            return f"/patients/{patient}/visits/new/", None
        case "visit form POST":
            # Spread over many courses, so no course collects hundreds of visits in a day.
            post = target["visit_posts"][next(counter) % len(target["visit_posts"])]
            today = datetime.date.fromisoformat(target["today"])  # the clinic's day
            return f"/patients/{post['patient']}/visits/new/", {
                "visit_date": today.isoformat(),
                "weight_kg": post["weight"],
                "nodule_count": "6",
                "phq2_interest": "0",
                "phq2_mood": "0",
                "triglycerides_unit": "mmol/L",
                "cholesterol_unit": "mmol/L",
                "next_follow_up": (today + datetime.timedelta(days=28)).isoformat(),
                "confirm_weight_change": "on",
            }
        case "dose check":
            return (
                f"/courses/{course}/prescribe/check/?mg_per_dose=30&doses_per_day=2&days_supply=30",
                None,
            )
        case "outcomes report":
            return "/outcomes/", None
        case "portal start page":
            return "/my/", None
        case "calendar feed":
            tokens = target["feed_tokens"]
            return f"/calendar/{tokens[user_index % len(tokens)]}.ics", None
    raise ValueError(page.name)


@dataclass
class State:
    plan: dict = field(default_factory=dict)
    segment: tuple[int, str, str] | None = None  # (round, size, page name)
    ready: int = 0
    samples: dict = field(default_factory=dict)  # "size|page" -> [(round, ms)]
    failures: list = field(default_factory=list)
    counter: itertools.count = field(default_factory=itertools.count)
    next_user: itertools.count = field(default_factory=itertools.count)


STATE = State()


def csrf_token(session: FastHttpSession) -> str:
    for cookie in session.cookiejar:
        if cookie.name == "csrftoken":
            return cookie.value
    raise RuntimeError("no csrftoken cookie")


class BenchUser(FastHttpUser):
    host = "http://127.0.0.1"
    wait_time = constant(0)

    def session(self, url: str) -> FastHttpSession:
        return FastHttpSession(
            base_url=url, request_event=self.environment.events.request, user=self
        )

    def sign_in(
        self, session: FastHttpSession, username: str, recovery_code: str | None = None
    ) -> None:
        session.get("/accounts/login/", context={"measure": False})
        response = session.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": STATE.plan["password"],
                "csrfmiddlewaretoken": csrf_token(session),
            },
            allow_redirects=False,
            context={"measure": False},
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {username} answered {response.status_code}")
        if recovery_code is not None:  # the second factor, as a prescriber passes it
            session.get("/accounts/two-factor/code/", context={"measure": False})
            response = session.post(
                "/accounts/two-factor/code/",
                data={"code": recovery_code, "csrfmiddlewaretoken": csrf_token(session)},
                allow_redirects=False,
                context={"measure": False},
            )
            if response.status_code != 302:
                raise RuntimeError(f"second factor of {username} answered {response.status_code}")

    def on_start(self):
        self.index = next(STATE.next_user)
        self.sessions = {}
        for size, spec in STATE.plan["sizes"].items():
            accounts = spec["target"]["accounts"]
            prescriber, patient = self.session(spec["url"]), self.session(spec["url"])
            admin = self.session(spec["url"])
            code = accounts["prescriber_codes"][self.index]
            self.sign_in(prescriber, accounts["prescriber"], code)
            self.sign_in(
                admin, accounts["registry_admin"], accounts["registry_admin_codes"][self.index]
            )
            self.sign_in(patient, accounts["patients"][self.index % len(accounts["patients"])])
            self.sessions[size] = {
                "anon": self.session(spec["url"]),
                "prescriber": prescriber,
                "registry_admin": admin,
                "patient": patient,
            }
        STATE.ready += 1

    @task
    def work(self):
        segment = STATE.segment
        if segment is None:
            gevent.sleep(0.005)
            return
        round_, size, name = segment
        page = BY_NAME[name]
        session = self.sessions[size][page.who]
        target = STATE.plan["sizes"][size]["target"]
        path, data = path_for(page, target, self.index, STATE.counter)
        headers = {"HX-Request": "true"} if name == "dose check" else None
        if data is not None:
            data["csrfmiddlewaretoken"] = csrf_token(session)
        with session.request(
            page.method,
            path,
            name=f"{size}|{name}",
            data=data,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
            context={"measure": True, "round": round_},
        ) as response:
            if response.status_code != page.status:
                response.failure(f"{response.status_code} for {path}")


@events.request.add_listener
def record(name, response_time, exception, context, **kwargs):
    if not context.get("measure"):
        return
    if exception is not None:
        STATE.failures.append(f"{name}: {exception}")
        return
    STATE.samples.setdefault(name, []).append((context["round"], response_time))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with open(args.plan) as handle:
        STATE.plan = json.load(handle)
    env = Environment(user_classes=[BenchUser], events=events)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.users)
    deadline = time.monotonic() + 120
    while STATE.ready < args.users:
        if time.monotonic() > deadline or runner.user_count < args.users and STATE.ready:
            sys.exit("the simulated users could not sign in")
        gevent.sleep(0.1)
    rng = random.Random(args.seed)  # noqa: S311 - an order, not a secret
    pairs = [(size, page.name) for size in STATE.plan["sizes"] for page in PAGES]
    active = {}  # "size|page" -> seconds the segment ran
    started = time.monotonic()
    for round_ in range(args.rounds):
        rng.shuffle(pairs)
        for size, name in pairs:
            STATE.segment = (round_, size, name)
            began = time.monotonic()
            gevent.sleep(args.seconds)
            STATE.segment = None
            key = f"{size}|{name}"
            active[key] = active.get(key, 0.0) + time.monotonic() - began
            gevent.sleep(0.2)  # let requests of this segment finish before the next one
        print(
            f"round {round_ + 1}/{args.rounds} done, {time.monotonic() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    runner.quit()
    with open(args.out, "w") as handle:
        json.dump(
            {
                "users": args.users,
                "rounds": args.rounds,
                "seconds": args.seconds,
                "samples": STATE.samples,
                "active_seconds": active,
                "failures": STATE.failures[:50],
                "failure_count": len(STATE.failures),
            },
            handle,
        )
    if STATE.failures:
        print(f"{len(STATE.failures)} failed requests, e.g. {STATE.failures[:5]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
