"""An existing database upgrades to the split apps with not one row touched.

A separate database (a temporary SQLite file, or a new PostgreSQL database when DATABASE_URL
names PostgreSQL) is built by the old code itself: main's tree just before the split
(PRE_SPLIT_COMMIT, extracted with `git archive`) migrates it to its latest migrations (clinic
at 0009, the apps accounts, reminders and portal absent) and fills it with its own
generate_demo_data and seed_demo, plus a row in every moved table, grants on the moved models
and an admin log entry pointing at one. The new code then applies only the split's own
migrations (later ones may change rows on purpose). Every table keeps its rows byte for byte,
except the two Django's own bookkeeping must change: django_migrations gains exactly the
split's migrations, and django_content_type relabels exactly the moved models, keeping their
ids, so permissions, grants and log entries follow them. The new models then read the old
rows, and every later migration applies on top.
A content type the new code made under a new label before the migration ran gives way to the
old one, which keeps its id and its grants.
"""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing, contextmanager
from urllib.parse import urlsplit

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATIENTS = 300
# main just before the split (733a004 "Split clinic/ into one app per job"): its code builds
# and fills the old database, as a clinic running that release would have.
PRE_SPLIT_COMMIT = "547292a"
SPLIT_TARGETS = [  # the new code migrates to these, in this order, and no further
    ("clinic", "0010_move_models_to_their_apps"), ("accounts", "0001_initial"),
    ("reminders", "0001_initial"), ("portal", "0001_initial"),
]  # fmt: skip
SPLIT = set(SPLIT_TARGETS)
MOVED = {  # model: its new app
    "reminder": "reminders", "heartbeat": "reminders", "calendarfeed": "portal",
    "historicaltotpdevice": "accounts", "historicalstaticdevice": "accounts",
}  # fmt: skip
# Who may do what, and the admin's log: not one row of these may change.
GRANTS = ["auth_permission", "auth_group_permissions", "auth_user_user_permissions",
          "auth_user_groups", "auth_group", "django_admin_log"]  # fmt: skip
# Rows generate_demo_data and seed_demo do not make: one in every moved table, a custom group
# and a user granted permissions on the moved models, an admin log entry about a reminder.
# Run by the old code: its import paths.
EXTRA_ROWS = (
    f"MOVED = {list(MOVED)!r}\n"
    + """
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from clinic.models import Heartbeat, Reminder
from clinic.portal_calendar import issue_feed
from registry.models import Patient

Heartbeat.objects.create(name="heartbeat", last_run_at=timezone.now())
for patient in [*Patient.objects.order_by("pk")[:3], Patient.objects.order_by("pk").first()]:
    issue_feed(patient)  # the first patient twice: a revoked link and a live one
admin = User.objects.get(username="registryadmin")
StaticDevice.objects.create(user=admin, name="backup").token_set.create(token="upgrade1")
moved = Permission.objects.filter(content_type__app_label="clinic", content_type__model__in=MOVED)
Group.objects.create(name="Upgrade auditors").permissions.set(moved)
User.objects.get(username="nurse").groups.add(Group.objects.get(name="Upgrade auditors"))
admin.user_permissions.add(*moved.filter(codename__startswith="view_"))
reminder = Reminder.objects.order_by("pk").first()
LogEntry.objects.create(user=admin, action_flag=CHANGE, object_id=str(reminder.pk),
    object_repr=str(reminder)[:200], change_message="upgrade test",
    content_type=ContentType.objects.get(app_label="clinic", model="reminder"))
"""
)
# Run by the new code on the split's schema: counts and ids only, never a model's columns (a
# later migration may add one the split's tables lack).
THROUGH_NEW_MODELS = """
import json
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from clinic.portal.models import CalendarFeed
from clinic.reminders.models import Heartbeat, Reminder

models = {"clinic_reminder": Reminder, "clinic_heartbeat": Heartbeat,
    "clinic_calendarfeed": CalendarFeed, "clinic_historicaltotpdevice": TOTPDevice.history.model,
    "clinic_historicalstaticdevice": StaticDevice.history.model}
entry = LogEntry.objects.get(change_message="upgrade test")
print(json.dumps({
    "counts": {table: model.objects.count() for table, model in models.items()},
    "content_types": {m._meta.model_name: ContentType.objects.get_for_model(m).pk
        for m in models.values()},
    "logged_object": entry.content_type.model_class() is Reminder
        and Reminder.objects.filter(pk=entry.object_id).exists(),
    "nurse": sorted(User.objects.get(username="nurse").get_all_permissions()),
    "admin": sorted(User.objects.get(username="registryadmin").get_user_permissions()),
}))
"""

# What the new code does if it runs before `migrate` (a web process started first): get_for_model
# makes ("reminders", "reminder"), and a permission may be made on it.
MADE_EARLY = """
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from clinic.reminders.models import Reminder

early = ContentType.objects.get_for_model(Reminder)
Permission.objects.create(content_type=early, codename="view_reminder", name="Can view reminder")
print(early.pk)
"""
REMINDER_TYPES = "SELECT id, app_label FROM django_content_type WHERE model = 'reminder'"
REMINDER_GRANTS = (  # every group grant on a reminder permission, and where that points
    "SELECT g.id, g.group_id, g.permission_id, p.content_type_id FROM auth_group_permissions g "
    "JOIN auth_permission p ON p.id = g.permission_id "
    "JOIN django_content_type c ON c.id = p.content_type_id WHERE c.model = 'reminder'"
)
DANGLING = (  # permissions on a content type that no longer exists
    "SELECT p.id FROM auth_permission p "
    "LEFT JOIN django_content_type c ON c.id = p.content_type_id WHERE c.id IS NULL"
)


def manage(db_url, var_dir, *args, debug=False, old_tree=None):
    """manage.py with the new code, or with the old one (its test settings) if old_tree."""
    tree, settings = (old_tree, "clinic.settings_test") if old_tree else (REPO, "tests.settings")
    env = {**os.environ, "DATABASE_URL": db_url, "VAR_DIR": str(var_dir)}
    env.update(DJANGO_SETTINGS_MODULE=settings, DEBUG="true" if debug else "false")
    run = subprocess.run(  # noqa: S603  (our own manage.py, at this commit or the old one)
        [sys.executable, "manage.py", *args], cwd=tree, env=env, capture_output=True, text=True
    )
    code = "old" if old_tree else "new"
    assert run.returncode == 0, f"{code} manage.py {args[0]} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory):
    """main's files at PRE_SPLIT_COMMIT, from `git archive` (the working tree is not touched).
    No git or no such commit fails the test, never skips it: CI clones main with its history."""
    tree = tmp_path_factory.mktemp("old")
    try:
        archive = subprocess.run(
            ["git", "-C", REPO, "archive", PRE_SPLIT_COMMIT], capture_output=True, check=False
        )
    except FileNotFoundError:
        pytest.fail("git is needed to extract the pre-split code; it is not installed")
    if archive.returncode != 0:
        pytest.fail(
            f"cannot read commit {PRE_SPLIT_COMMIT} (main before the split) from {REPO}: "
            f"{archive.stderr.decode().strip()}. A shallow clone lacks it: fetch the full history."
        )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def migrate_to_split(db_url, var_dir):
    """The new code applies the split's migrations and no later one."""
    for app, target in SPLIT_TARGETS:
        manage(db_url, var_dir, "migrate", app, target, "--no-input")


def query(connect, sql):
    with closing(connect()) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


def render(value):
    """A value as text, the same for the same stored value (bytes by content, not address)."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return repr(value)


def snapshot(connect, vendor):
    """{table: (row count, sha256 over its rows rendered and sorted)}, and the rendered rows."""
    if vendor == "sqlite":
        tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        tables = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    sums, rows = {}, {}
    for (table,) in query(connect, tables):
        every_row = f'SELECT * FROM "{table}"'  # noqa: S608  (names from the catalogue)
        rendered = sorted("|".join(map(render, row)) for row in query(connect, every_row))
        sums[table] = (len(rendered), hashlib.sha256("\n".join(rendered).encode()).hexdigest())
        rows[table] = rendered
    return sums, rows


def state(connect, vendor):
    sums, rows = snapshot(connect, vendor)
    types = set(query(connect, "SELECT id, app_label, model FROM django_content_type"))
    applied = query(connect, "SELECT id, app, name, applied FROM django_migrations")
    migrations = {(i, app, name, render(at)) for i, app, name, at in applied}
    return {"sums": sums, "rows": rows, "content_types": types, "migrations": migrations}


@contextmanager
def pre_split_database(base, patients, old_tree):
    """A new database built and filled by the old code: (its url, connect, vendor)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg  # an unreachable PostgreSQL fails the test: CI must not pass by skipping

        name = f"clinic_upgrade_{uuid.uuid4().hex[:10]}"
        db_url = urlsplit(url)._replace(path=f"/{name}").geturl()
        with psycopg.connect(url, autocommit=True) as server:
            server.execute(f'CREATE DATABASE "{name}"')
        vendor, connect = "postgresql", lambda: psycopg.connect(db_url)
    else:
        path = base / "upgrade.sqlite3"
        vendor, db_url, connect = "sqlite", f"sqlite:///{path}", lambda: sqlite3.connect(path)
    try:
        old = {"old_tree": old_tree}
        var_dir = base / "old-var"  # the old code's own files (its settings make the folder)
        manage(db_url, var_dir, "migrate", "--no-input", **old)  # its latest: the pre-split state
        fill = ["generate_demo_data", "--patients", str(patients), "--seed", "1"]
        manage(db_url, var_dir, *fill, debug=True, **old)
        manage(db_url, var_dir, "seed_demo", debug=True, **old)
        manage(db_url, var_dir, "shell", "-v0", "-c", EXTRA_ROWS, **old)
        yield db_url, connect, vendor
    finally:
        if vendor == "postgresql":
            with psycopg.connect(url, autocommit=True) as server:
                server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory, old_tree):
    """Build the pre-split database, fill it, take its state, upgrade, take it again."""
    base = tmp_path_factory.mktemp("upgrade")
    with pre_split_database(base, PATIENTS, old_tree) as (db_url, connect, vendor):
        before = state(connect, vendor)
        migrate_to_split(db_url, base)
        after = state(connect, vendor)
        seen = json.loads(manage(db_url, base, "shell", "-v0", "-c", THROUGH_NEW_MODELS))
        yield {"before": before, "after": after, "seen": seen, "db_url": db_url, "base": base}


def test_the_pre_split_database_has_not_run_the_split_and_is_full(upgrade):
    before = upgrade["before"]
    applied = {(app, name) for _, app, name, _ in before["migrations"]}
    assert {
        ("clinic", "0009_visit_plausible_bounds"),
        ("dosing", "0003_void_and_replace_supply"),
    } <= applied
    assert not applied & SPLIT, f"applied before the upgrade: {applied & SPLIT}"
    assert not {app for app, _ in applied} & {"accounts", "reminders", "portal"}
    assert not {label for _, label, _ in before["content_types"]} & set(MOVED.values())
    for table in [
        *(f"clinic_{model}" for model in MOVED),
        *("clinic_visit", "clinic_courseflag", "dosing_prescription", "dosing_dispense"),
        *("registry_patient", "registry_pregnancytest", "django_admin_log"),
        *("auth_group_permissions", "auth_user_user_permissions"),
    ]:
        assert before["sums"][table][0] > 0, f"{table} is empty: nothing proved for it"


def test_upgrade_keeps_every_table_and_every_row_outside_djangos_bookkeeping(upgrade):
    before, after = upgrade["before"]["sums"], upgrade["after"]["sums"]
    assert set(after) == set(before), f"tables {set(before) ^ set(after)} came or went"
    bookkeeping = {"django_migrations", "django_content_type", "sqlite_sequence"}
    changed = sorted(t for t in before if before[t] != after[t] and t not in bookkeeping)
    report = []
    for table in changed:
        old, new = set(upgrade["before"]["rows"][table]), set(upgrade["after"]["rows"][table])
        report.append(
            f"{table}: {before[table][0]} -> {after[table][0]} rows; "
            f"gone {sorted(old - new)[:3]}; new {sorted(new - old)[:3]}"
        )
    assert not changed, "the upgrade changed rows:\n" + "\n".join(report)


def test_upgrade_records_exactly_the_split_migrations(upgrade):
    before, after = upgrade["before"]["migrations"], upgrade["after"]["migrations"]
    assert before <= after, f"old migration records changed: {before - after}"
    assert {(app, name) for _, app, name, _ in after - before} == SPLIT
    if "sqlite_sequence" in upgrade["before"]["rows"]:  # only django_migrations' counter moves
        seq = (upgrade[t]["rows"]["sqlite_sequence"] for t in ("before", "after"))
        old, new = ([r for r in rows if "django_migrations" not in r] for rows in seq)
        assert old == new


def test_upgrade_relabels_exactly_the_moved_models_keeping_their_ids(upgrade):
    before, after = upgrade["before"]["content_types"], upgrade["after"]["content_types"]
    relabelled = {(i, MOVED.get(m, label), m) if label == "clinic" else (i, label, m)
                  for i, label, m in before}  # fmt: skip
    assert after == relabelled, f"unexpected: {after ^ relabelled}"


def test_upgrade_keeps_every_permission_and_grant(upgrade):
    before, after = upgrade["before"]["sums"], upgrade["after"]["sums"]
    assert [t for t in GRANTS if before[t] != after[t]] == [], "grants changed"
    seen = upgrade["seen"]
    actions = ("add", "change", "delete", "view")
    granted = {f"{app}.{action}_{model}" for model, app in MOVED.items() for action in actions}
    assert granted <= set(seen["nurse"]), "the custom group's grants did not follow the models"
    assert set(seen["admin"]) == {f"{app}.view_{model}" for model, app in MOVED.items()}


def test_the_new_models_read_the_old_rows(upgrade):
    seen, after = upgrade["seen"], upgrade["after"]["sums"]
    assert seen["counts"] == {table: after[table][0] for table in seen["counts"]}
    old_ids = {m: i for i, label, m in upgrade["before"]["content_types"] if label == "clinic"}
    assert seen["content_types"] == {model: old_ids[model] for model in MOVED}
    assert seen["logged_object"], "the admin log entry no longer finds its reminder"


def test_every_later_migration_applies_on_top_of_the_upgraded_database(upgrade):
    """The rows proved above are left to later migrations, which may change them on purpose."""
    manage(upgrade["db_url"], upgrade["base"], "migrate", "--no-input")


def test_a_content_type_made_early_by_the_new_code_gives_way_to_the_old_one(tmp_path, old_tree):
    with pre_split_database(tmp_path, 20, old_tree) as (db_url, connect, _):
        early = int(manage(db_url, tmp_path, "shell", "-v0", "-c", MADE_EARLY))
        types = set(query(connect, REMINDER_TYPES))
        [old] = [i for i, label in types if label == "clinic"]
        assert types == {(old, "clinic"), (early, "reminders")}
        grants = set(query(connect, REMINDER_GRANTS))
        assert {ct for *_, ct in grants} == {old}, "no group grant on the old permissions"
        migrate_to_split(db_url, tmp_path)
        assert query(connect, REMINDER_TYPES) == [(old, "reminders")]
        assert grants <= set(query(connect, REMINDER_GRANTS)), "grants on the old id were lost"
        assert query(connect, DANGLING) == []
