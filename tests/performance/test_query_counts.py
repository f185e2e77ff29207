"""No per-row query anywhere (issue 7, point 3): every page a role may open (a 200 in the
permission TABLE) makes as many queries with many rows as with a few.

Each page is requested as the first role the TABLE lets in, with the TABLE's kwargs; GROWTH
names what the page lists. The page is requested once to warm per-process caches (content
types, the admin's apps), measured with a small data set, then measured again after the same
growers have added many more rows. A page that lists nothing still has a row (an empty tuple)
saying so, and the last test fails for a page of the TABLE without a row here, so every new
page joins the check.

Rows are made with bulk_create (no history, no signals) so the module stays fast; they are
realistic enough for the pages (statuses, dates, foreign keys) but not made by the services.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.reminders.models import Reminder
from clinic.staff.keyset import cursor_after
from clinic.staff.worklist import ROW_LIMIT
from dosing.models import RefusedAction, TreatmentCourse
from registry.models import Patient, Pharmacist, RecordAccess
from tests.clinic.test_url_permissions import OK, ROLES, TABLE, a_course
from tests.performance.appointment_growers import grow_appointments
from tests.performance.growers import (
    COURSE_STARTED_DAYS_AGO,
    GROWERS,
    TODAY,
    Grower,
    World,
    days,
)
from tests.performance.import_growers import grow_import_rows


@pytest.fixture
def world(personas, make_pharmacy):
    pharmacy = make_pharmacy("Riverside Pharmacy")
    Pharmacist.objects.create(user=personas["pharmacist"], pharmacy=pharmacy)
    course_pk = a_course(personas)["pk"]
    # Started two months ago, so prescriptions, dispenses and visits fall inside the course.
    TreatmentCourse.objects.filter(pk=course_pk).update(
        start_date=TODAY - days(COURSE_STARTED_DAYS_AGO)
    )
    return World(personas, TreatmentCourse.objects.get(pk=course_pk), pharmacy)


FIXED_EXTRA = {"staff:worklist": (8, 'SELECT COUNT(*) AS "__count"')}

PATIENT_PAGE = ("own_patient", "own_course", "own_reminders", "patients")
COURSE_PAGE = ("own_course", "own_patient", "pharmacies")
PORTAL = ("own_patient", "own_course", "own_reminders")

# url name -> what the page lists (growers). () is a page that lists no rows at all.
GROWTH = {
    # Sign-in and password pages: forms, no rows (password_reset_confirm with a bad token).
    "login": (),
    "password_change": (),
    "password_change_done": (),
    "password_reset": (),
    "password_reset_done": (),
    "password_reset_confirm": (),
    "password_reset_complete": (),
    "reminders:healthz": (),  # SELECT 1 and the heartbeat row
    "staff:registry-admin-home": (),  # links into the admin
    "accounts:two-factor-manage": (),  # the user's own devices: app, passkeys (one query), codes
    "otp_webauthn:js-i18n-catalog": (),  # the passkey script's translations: no database
    "portal:about": ("own_patient",),
    "staff:worklist": ("clinic_courses", "failed_reminders", "own_course"),
    "staff:worklist-section": ("clinic_courses",),  # open flags, a keyset page of them
    "staff:patient-list": ("patients",),
    "staff:patient-enrol": ("patients",),  # the prescriber menu
    "staff:patient-detail": (*PATIENT_PAGE, "refusals", "accesses", "appointments"),
    "staff:patient-edit": PATIENT_PAGE,
    "staff:patient-status": PATIENT_PAGE,
    "staff:pharmacy-list": ("pharmacies",),
    "staff:course-start": PATIENT_PAGE,
    "staff:pregnancy-test-new": PATIENT_PAGE,
    "staff:visit-new": (*PATIENT_PAGE, "appointments"),  # and the follow-up day's free slots
    "staff:visit-follow-up-slots": PATIENT_PAGE,  # no day asked: the menu's message only
    # The month's steps of every course in treatment (the streamed rows are one query).
    "staff:monthly-steps-csv": ("clinic_courses", "own_course"),
    "staff:patient-reminders": ("own_reminders", "failed_reminders"),
    "staff:reminders-failed": ("failed_reminders", "clinic_courses"),
    "staff:flag-acknowledge": COURSE_PAGE,
    "pharmacy:staff-dispense": ("pharmacies",),  # the pharmacy menu
    "staff:course-detail": COURSE_PAGE,
    "staff:course-prescribe": COURSE_PAGE,
    "staff:course-prescribe-check": COURSE_PAGE,
    "staff:course-end": COURSE_PAGE,
    # The printouts: one prescription with its dispenses, one visit, the referral's course
    # figures (its prescriptions and dispenses in two queries).
    "staff:prescription-pdf": COURSE_PAGE,
    "staff:visit-summary-pdf": COURSE_PAGE,
    "staff:referral-pdf": COURSE_PAGE,
    # The FHIR export: the whole record in five queries (visits, tests, prescriptions,
    # dispenses, flags), whatever it holds.
    "staff:fhir-patient-everything": PATIENT_PAGE,
    "staff:refusals": ("refusals", "patients"),
    # Counts added up over the months asked (one grouped query) and the prescribers to choose.
    "staff:outcomes": ("outcome_counts",),
    # The access log (no patient asked: no change history).
    "staff:audit": ("accesses",),
    # An import batch's rows are the batch's JSON: one query, a page of 100 rows shown.
    "staff:import-upload": (),  # the user's last 10 batches
    "staff:import-detail": ("import_rows",),
    "staff:import-progress": ("import_rows",),
    # The appointment book (docs/APPOINTMENTS.md): a day's sessions and bookings, the free slots
    # of four weeks, the patients' requests, the portal's own appointments.
    "staff:appointments": ("appointments",),
    "staff:appointment-requests": ("appointments",),
    "staff:appointment-book": (*PATIENT_PAGE, "appointments"),
    "portal:appointments": (*PORTAL, "appointments"),
    "portal:home": PORTAL,
    "portal:schedule": PORTAL,
    "portal:course-schedule": PORTAL,
    "portal:progress": PORTAL,
    "portal:course-progress": PORTAL,
    "portal:calendar": PORTAL,
    "portal:calendar-download": PORTAL,
    "portal:reminders": PORTAL,
    "portal:confirmation": PORTAL,
    "pharmacy:home": ("own_course", "clinic_courses", "pharmacies"),
    "admin:index": ("admin_log", "patients", "pharmacies"),
    # Admin changelists (not rows of the permission TABLE, which represents the admin by its
    # index): registry admins work here.
    "admin:registry_patient_changelist": ("patients", "clinic_courses"),
    "admin:registry_pharmacy_changelist": ("pharmacies",),
    "admin:registry_pharmacycertification_changelist": ("pharmacies",),
    "admin:registry_certificationchange_changelist": ("pharmacies",),
    "admin:registry_recordaccess_changelist": ("accesses",),
}
ADMIN_PAGES = {name for name in GROWTH if name.startswith("admin:registry_")}
GROWERS = {**GROWERS, "import_rows": Grower(grow_import_rows, 10, 1000)}  # 100 rows a page
GROWERS["appointments"] = Grower(grow_appointments, 4, 200)

# More requests of the same pages, as people use them: name -> (url name, query string,
# growers). They check that searching, filtering, sorting and later pages add no query as the
# table grows; their small data sets are larger than a page (a page past the last one is
# answered with the last page after one more query), so a per-row query within the page is
# left to test_query_count_does_not_grow_with_the_rows, whose small data sets fit in a page.
VARIANTS = {
    "patient-list searched and filtered": (
        "staff:patient-list",
        "q=Family&status=in_treatment&risk_category=can_get_pregnant&sort=-enrolled_at",
        ("many_patients",),
    ),
    "patient-list sorted by name, a later page": (
        "staff:patient-list",
        "sort=name&after={patient_cursor}",
        ("many_patients",),
    ),
    "patient-list by prescriber, sorted by status": (
        "staff:patient-list",
        "prescriber={prescriber}&sort=status",
        ("many_patients",),
    ),
    "patient-list searched by registry ID": (
        "staff:patient-list",
        "q={registry_id_part}",
        ("many_patients",),
    ),
    "admin patients filtered and sorted": (
        "admin:registry_patient_changelist",
        "status__exact=in_treatment&o=-2",
        ("patients",),
    ),
    "admin patients searched": ("admin:registry_patient_changelist", "q=Family", ("patients",)),
    "admin pharmacies filtered by status and expiry": (
        "admin:registry_pharmacy_changelist",
        "certification__status__exact=certified&expires=30d&o=5",
        ("pharmacies",),
    ),
    "admin certifications expiring": (
        "admin:registry_pharmacycertification_changelist",
        "status__exact=certified&expires=past",
        ("pharmacies",),
    ),
    "admin certification changes": (
        "admin:registry_certificationchange_changelist",
        "to_status__exact=suspended&o=-1",
        ("pharmacies",),
    ),
    "staff-dispense lookup": (
        "pharmacy:staff-dispense",
        "registry_id={registry_id}&pharmacy={pharmacy}",
        ("pharmacies", "own_course"),
    ),
    "pharmacy-home lookup": ("pharmacy:home", "registry_id={registry_id}", ("own_course",)),
    "appointment day of one prescriber": (
        "staff:appointments",
        f"day={TODAY.isoformat()}&prescriber={{prescriber}}",
        ("appointments",),
    ),
    "visit form's slot menu for a day with sessions": (
        "staff:visit-follow-up-slots",
        f"next_follow_up={(TODAY + days(1)).isoformat()}",
        (*PATIENT_PAGE, "appointments"),
    ),
    "course-prescribe-check with a dose": (
        "staff:course-prescribe-check",
        "mg_per_dose=30&doses_per_day=2&days_supply=30",
        COURSE_PAGE,
    ),
    "reminders-failed, a later page": (
        "staff:reminders-failed",
        "after={reminder_cursor}",
        ("many_failed_reminders",),
    ),
    "refusals filtered by patient, user and dates": (
        "staff:refusals",
        "patient={registry_id}&user=okafor&date_from=2000-01-01&date_to=2999-12-31",
        ("many_refusals",),
    ),
    "refusals filtered by kind": ("staff:refusals", "kind=visit", ("many_refusals",)),
    # The patient's accesses and their record's whole change history across the apps.
    "audit by patient, user and dates": (
        "staff:audit",
        "patient={registry_id}&user=perf&date_from=2000-01-01&date_to=2999-12-31",
        ("many_accesses", "own_patient", "own_course"),
    ),
    "audit by kind, a later page, oldest first": (
        "staff:audit",
        "kind=export&sort=at&after={access_cursor}",
        ("many_accesses",),
    ),
    "refusals, a later page, sorted oldest first": (
        "staff:refusals",
        "sort=at&after={refusal_cursor}",
        ("many_refusals",),
    ),
}


def first_role_let_in(url_name: str) -> str:
    answers = TABLE[url_name][1]
    return next(role for role in ROLES if answers[role] == OK)


def ok_url_names() -> list[str]:
    return [name for name, (_kwargs, answers) in TABLE.items() if OK in answers.values()]


def request_for(url_name, personas):
    """(role, kwargs) as the permission TABLE gives them; the admin changelists are for
    registry admins."""
    if url_name in ADMIN_PAGES:
        return "registry_admin", {}
    kwargs, _answers = TABLE[url_name]
    if callable(kwargs):
        kwargs = kwargs(personas)
    return first_role_let_in(url_name), kwargs


def count_queries(client, url) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(captured), [q["sql"] for q in captured.captured_queries]


def later_page_cursors() -> dict:
    """Cursors of "next" links that start partway into each long list (keyset paging), made
    from rows that sort early, so the page after them is full once the list has grown."""
    early = timezone.make_aware(dt.datetime(2000, 1, 1))
    return {
        name: quote(cursor_after(row, model.objects.all(), order))
        for name, model, row, order in (
            (
                "patient_cursor",
                Patient,
                Patient(pk=0, last_name="A", first_name="A"),
                ("last_name", "first_name", "pk"),
            ),
            ("refusal_cursor", RefusedAction, RefusedAction(pk=0, at=early), ("at", "pk")),
            ("reminder_cursor", Reminder, Reminder(pk=0, due_at=early), ("due_at", "pk")),
            ("access_cursor", RecordAccess, RecordAccess(pk=0, at=early), ("at", "pk")),
        )
    }


def measure(client, world, url_name, query="", growth=None):
    personas = world.personas
    role, kwargs = request_for(url_name, personas)
    if role != "anonymous":
        client.force_login(personas[role])
    url = reverse(url_name, kwargs=kwargs or None)
    if query:
        url += "?" + query.format(
            prescriber=world.prescriber.pk,
            registry_id=world.patient.registry_id,
            pharmacy=world.pharmacy.pk,
            registry_id_part=world.patient.registry_id[:4],
            **later_page_cursors(),
        )
    growers = [GROWERS[name] for name in (GROWTH[url_name] if growth is None else growth)]
    for grower in growers:
        grower.grow(world, grower.small)
    client.get(url)  # warm per-process caches
    small, small_sql = count_queries(client, url)
    for grower in growers:
        grower.grow(world, grower.large - grower.small)
    large, large_sql = count_queries(client, url)
    return small, large, small_sql, large_sql


def extra_queries(small_sql, large_sql) -> list[str]:
    """The queries of the second request that the first did not make (literals ignored)."""

    def shape(sql):
        return re.sub(r"'[^']*'|\d+", "?", sql)

    extra = list(large_sql)
    for sql in small_sql:
        match = next((q for q in extra if shape(q) == shape(sql)), None)
        if match is not None:
            extra.remove(match)
    return extra


def explain(small_sql, large_sql) -> str:
    extra = extra_queries(small_sql, large_sql)
    return "\n".join(sql[:400] for sql in extra[:10]) or "(as many kinds, more of one)"


@pytest.mark.parametrize("url_name", sorted(GROWTH))
def test_query_count_does_not_grow_with_the_rows(client, world, url_name):
    small, large, small_sql, large_sql = measure(client, world, url_name)
    extra, starts = FIXED_EXTRA.get(url_name, (0, ""))
    if extra:
        new = extra_queries(small_sql, large_sql)
        assert len(new) == extra, new
        assert all(sql.startswith(starts) for sql in new), new
    assert large == small + extra, (
        f"{url_name}: {small} queries with a few rows, {large} with many; new queries:\n"
        + explain(small_sql, large_sql)
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_query_count_of_searches_filters_and_sorts_does_not_grow(client, world, variant):
    url_name, query, growth = VARIANTS[variant]
    small, large, small_sql, large_sql = measure(client, world, url_name, query, growth)
    assert large == small, (
        f"{variant}: {small} queries with a few rows, {large} with many; new queries:\n"
        + explain(small_sql, large_sql)
    )


def test_every_page_of_the_permission_table_is_in_the_growth_map():
    missing = set(ok_url_names()) - set(GROWTH)
    assert missing == set(), f"say what these pages list in GROWTH: {sorted(missing)}"
    unknown = set(GROWTH) - set(ok_url_names()) - ADMIN_PAGES
    assert unknown == set(), f"GROWTH names pages no role may open: {sorted(unknown)}"
    used = {g for names in GROWTH.values() for g in names}
    used |= {g for _url, _query, names in VARIANTS.values() for g in names}
    assert used <= set(GROWERS)
    assert {url for url, _query, _names in VARIANTS.values()} <= set(GROWTH)


def test_the_worklist_data_sets_straddle_its_row_limit():
    """FIXED_EXTRA counts on every bounded worklist section being under ROW_LIMIT rows in the
    small data set (3n failed reminders plus 10 is the largest) and over it in the large."""
    courses, failed = GROWERS["clinic_courses"], GROWERS["failed_reminders"]
    assert 3 * courses.small + failed.small < ROW_LIMIT < courses.large
