"""Make a benchmark database ready and print what the load should ask for, as JSON.

    DATABASE_URL=postgres://.../clinic_1k_bench python -m bench.prepare --patients 1000

Run by bench/run.py once per size, in its own process (Django's settings are per process).
On an empty database it migrates and runs generate_demo_data; on one with exactly --patients
patients it only adds what is missing. It adds the benchmark's own sign-ins (a prescriber and
patients linked to active courses, with a known password, and recovery codes for the
prescriber's second factor) and a calendar feed with a known
token, then prints the ids the load uses. Exits 3 when the database holds another number of
patients, so the caller can make it anew.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.accounts.roles import Role  # noqa: E402
from clinic.accounts.two_factor import (  # noqa: E402
    authenticator_of,
    confirm_authenticator,
    new_recovery_codes,
    pending_authenticator,
)
from clinic.monitoring.outcomes import build_outcome_counts  # noqa: E402
from clinic.monitoring.weights import latest_patient_weight_kg  # noqa: E402
from clinic.portal.models import (
    CalendarFeed,  # noqa: E402
    hash_feed_token,  # noqa: E402
)
from clinic.staff.keyset import cursor_after  # noqa: E402
from dosing.models import TreatmentCourse  # noqa: E402
from registry.models import Patient  # noqa: E402

PASSWORD = "bench-password-not-secret-2026"  # noqa: S105 - fake accounts in a _bench database
PATIENT_ACCOUNTS = 8
VISIT_TARGETS = 200  # the visit POSTs spread over this many courses
SEARCH_WORD = "son"  # a part of many last names (Johnson, Wilson, ...)


def feed_token(index: int) -> str:
    return f"bench-calendar-feed-{index:02d}-token-not-secret"


def _account(username: str, role: Role, **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=role.value))
    return user


def _active_courses():
    return (
        TreatmentCourse.objects.filter(status=TreatmentCourse.Status.ACTIVE)
        .select_related("patient")
        .order_by("pk")
    )


@transaction.atomic
def add_bench_accounts() -> dict:
    prescriber = _account(
        "bench-prescriber", Role.PRESCRIBER, first_name="Bench", last_name="Prescriber"
    )
    linked = list(Patient.objects.filter(user__username__startswith="bench-patient-"))
    wanted = PATIENT_ACCOUNTS - len(linked)
    if wanted > 0:
        free = [c.patient for c in _active_courses().filter(patient__user=None)[: wanted * 3]]
        # One account per patient: a patient may have two courses in the candidate list.
        for patient in list(dict.fromkeys(free))[:wanted]:
            user = _account(
                f"bench-patient-{patient.pk}",
                Role.PATIENT,
                first_name=patient.first_name,
                last_name=patient.last_name,
            )
            patient.user = user
            patient.save(update_fields=["user"])
            linked.append(patient)
    for index, patient in enumerate(linked):
        CalendarFeed.objects.get_or_create(
            token_hash=hash_feed_token(feed_token(index)), defaults={"patient": patient}
        )
    # The prescriber signs in with a second factor: each simulated user spends one recovery
    # code (each run works on a fresh copy of this database, so the codes are new every run).
    authenticator_of(prescriber) or confirm_authenticator(pending_authenticator(prescriber))
    # A registry admin, for the Django admin's changelist beside our patient list.
    admin = _account(
        "bench-registry-admin",
        Role.REGISTRY_ADMIN,
        first_name="Bench",
        last_name="Admin",
        is_staff=True,
    )
    authenticator_of(admin) or confirm_authenticator(pending_authenticator(admin))
    return {
        "prescriber": prescriber.username,
        "prescriber_codes": new_recovery_codes(prescriber),
        "registry_admin": admin.username,
        "registry_admin_codes": new_recovery_codes(admin),
        "patients": [p.user.username for p in linked],
    }


def targets() -> dict:
    courses = _active_courses()
    # The course and patient pages: an active course with visits like most others (the median
    # number of visits), not an empty new one.
    busy = courses.annotate(visit_count=Count("visits")).order_by("-visit_count", "pk")
    typical = busy[busy.count() // 2]
    # Visit POSTs: patients who cannot get pregnant (the form asks no pregnancy test) with an
    # active course and a visit, each posted with their own latest weight so the form accepts it.
    posts = []
    for course in courses.filter(patient__risk_category=Patient.RiskCategory.CANNOT_GET_PREGNANT)[
        :VISIT_TARGETS
    ]:
        weight = latest_patient_weight_kg(course.patient)
        posts.append({"patient": course.patient_id, "weight": str(weight)})
    # Page 500 of the patient list in name order (or the last page of a smaller list): the
    # list pages by keyset, so its link carries a cursor after the last row of page 499.
    names = Patient.objects.order_by("last_name", "first_name", "pk")
    before_deep_page = names[max(0, min(499 * 25, Patient.objects.count() - 25) - 1)]
    return {
        "patient": typical.patient_id,
        "course": typical.pk,
        "visit_posts": posts,
        "search": SEARCH_WORD,
        # What staff type from a label or letter: 4 characters of a registry ID.
        "id_search": typical.patient.registry_id.replace("-", "")[2:6],
        "deep_page_cursor": cursor_after(
            before_deep_page, Patient.objects.all(), ("last_name", "first_name", "pk")
        ),
        "feed_tokens": [feed_token(i) for i in range(PATIENT_ACCOUNTS)],
        "today": timezone.localdate().isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    name = str(settings.DATABASES["default"]["NAME"])
    if not name.endswith("_bench"):
        sys.exit(f"refusing: database {name!r} is not a benchmark database")
    call_command("migrate", verbosity=0)
    have = Patient.objects.count()
    if have == 0:
        call_command(
            "generate_demo_data", patients=args.patients, seed=args.seed, stdout=sys.stderr
        )
    elif have != args.patients:
        print(f"{name} holds {have:,} patients, not {args.patients:,}", file=sys.stderr)
        sys.exit(3)
    accounts = add_bench_accounts()
    # The outcomes report's nightly count, timed at this size (the page reads what it wrote).
    build = build_outcome_counts()
    outcome_build = {"courses": build.courses, "rows": build.rows, "seconds": build.seconds}
    # What autovacuum gives a running clinic: fresh statistics and visibility maps, so a
    # just-generated database is not measured with stale plans and no index-only scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    json.dump(
        {"accounts": accounts, "password": PASSWORD, "outcome_build": outcome_build, **targets()},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
