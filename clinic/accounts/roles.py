"""The five roles of the clinic and how a view asks for them.

Roles are Django groups (created by migration registry/0002_roles). Registry is the lowest app,
so roles live here and every other app may import them.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache, wraps

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.http import Http404


class Role(StrEnum):
    PRESCRIBER = "Prescriber"
    CLINICAL_STAFF = "Clinical staff"
    REGISTRY_ADMIN = "Registry admin"
    PHARMACIST = "Pharmacist"
    PATIENT = "Patient"


STAFF_ROLES = frozenset({Role.PRESCRIBER, Role.CLINICAL_STAFF})
# Who acknowledges a course flag (the action taken is a prescribing decision).
ACKNOWLEDGING_ROLES = (Role.PRESCRIBER,)

# What each group may do in the Django admin and in permission checks. Migration 0002 created
# the groups; sync_role_groups (post_migrate) applies this table after every migrate, and
# tests/registry/test_roles.py compares the database with it.
_STAFF_PERMISSIONS = {
    "registry.view_patient",
    "registry.add_patient",
    "registry.change_patient",
    "registry.view_priortreatment",
    "registry.add_priortreatment",
    "registry.change_priortreatment",
    "registry.view_portalinvitation",
    "registry.add_portalinvitation",
    # Staff may read which pharmacies are certified; only registry admins change that.
    "registry.view_pharmacy",
    "registry.view_pharmacycertification",
}

ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.PRESCRIBER: set(_STAFF_PERMISSIONS),
    Role.CLINICAL_STAFF: set(_STAFF_PERMISSIONS),
    Role.REGISTRY_ADMIN: {
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "registry.view_patient",
        "registry.view_historicalpatient",
        "registry.view_pharmacy",
        "registry.add_pharmacy",
        "registry.change_pharmacy",
        "registry.view_historicalpharmacy",
        "registry.view_pharmacycertification",
        "registry.add_pharmacycertification",
        "registry.change_pharmacycertification",
        "registry.view_historicalpharmacycertification",
        "registry.view_certificationchange",
        "registry.view_recordaccess",  # the access log, read only (also the audit page)
        "registry.view_pharmacist",
        "registry.add_pharmacist",
        "registry.change_pharmacist",
        "registry.delete_pharmacist",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
    },
    Role.PHARMACIST: set(),
    Role.PATIENT: set(),
}


def roles_of(user) -> frozenset[Role]:
    """The roles a user holds, read once per request: cached on the user object, which
    AuthenticationMiddleware loads afresh for every request (so a role given or taken away
    counts from the user's next request).

    On a session verified by a second factor, VerifiedDeviceMiddleware
    (clinic/accounts/two_factor.py) reads the group names together with its device check and
    caches them here (remember_roles), so the page makes no query of its own for them.
    """
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        with connections[user._state.db or DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(group_names_sql(), [user.pk])
            names = [name for (name,) in cursor.fetchall()]
        cached = remember_roles(user, names)
    return cached


_GROUP_NAMES = (
    "SELECT g.{name} FROM {group} g INNER JOIN {membership} m ON m.{group_id} = g.{id} "
    "WHERE m.{user_id} = %s"
)


@cache
def group_names_sql() -> str:
    """SELECT of the names of the groups of one user (the parameter): written once from the
    models' tables, and run without the ORM, whose query building costs more than the query
    on every page."""
    group = apps.get_model("auth", "Group")._meta
    membership = get_user_model().groups.through._meta
    quote = connection.ops.quote_name
    names = {
        "group": quote(group.db_table),
        "name": quote(group.get_field("name").column),
        "id": quote(group.pk.column),
        "membership": quote(membership.db_table),
        "group_id": quote(membership.get_field("group").column),
        "user_id": quote(membership.get_field("user").column),
    }
    return _GROUP_NAMES.format(**names)  # noqa: S608  (names from the models, quoted)


def remember_roles(user, group_names) -> frozenset[Role]:
    """The roles of these group names (a superuser also counts as registry admin), cached on
    the user object for the rest of the request."""
    names = set(group_names)
    held = frozenset(role for role in Role if role.value in names)
    if user.is_superuser:
        held |= {Role.REGISTRY_ADMIN}
    user._clinic_roles = held
    return held


def primary_role(user) -> Role | None:
    """The role whose start page a user lands on; clinical roles first."""
    held = roles_of(user)
    for role in (
        Role.PRESCRIBER,
        Role.CLINICAL_STAFF,
        Role.PHARMACIST,
        Role.REGISTRY_ADMIN,
        Role.PATIENT,
    ):
        if role in held:
            return role
    return None


def has_role(user, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def role_required(*roles: Role):
    """Only users holding one of `roles` reach the view.

    Anonymous users go to the login page. Signed-in users of another role get 404, not 403:
    a page they may not use is, for them, a page that does not exist (nothing to probe).
    """
    decorator = user_required(lambda user: has_role(user, *roles))

    def with_roles(view):
        wrapper = decorator(view)
        wrapper.allowed_roles = frozenset(roles)
        return wrapper

    return with_roles


def user_required(allowed):
    """Only signed-in users for whom `allowed(user)` is true reach the view; others get 404.

    Anonymous users go to the login page, as for role_required.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def sync_role_groups(sender, apps=None, using="default", **kwargs):
    """post_migrate: make each role group hold exactly ROLE_PERMISSIONS.

    Migration 0002 created the groups; this keeps them in line with the table as later
    migrations add models, and restores them after a test flush. Role permissions live in
    code, so a change made by hand in the admin is put back at the next migrate.
    Runs once, for the last app with models, when every app's permissions exist.
    """
    from django.apps import apps as installed_apps

    # post_migrate is sent only for apps with a models module (Django skips the others).
    with_models = [c for c in installed_apps.get_app_configs() if c.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    apps = apps or installed_apps  # a test flush sends no migration state
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for dotted in sorted(dotted_names):
            app_label, codename = dotted.split(".")
            if not _migrated(apps, app_label, codename):
                continue  # a partial migrate: granted by the migrate that makes the model
            wanted.append(
                Permission.objects.using(using).get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def _migrated(apps, app_label: str, codename: str) -> bool:
    """Whether the model a permission is on ("view_recordaccess": recordaccess) exists in
    this migration state. `migrate registry 0008` stops before later models are made, so
    their permissions do not exist yet. A misspelt model is not skipped unseen:
    tests/accounts/test_roles.py compares every group with ROLE_PERMISSIONS."""
    try:
        apps.get_model(app_label, codename.split("_", 1)[1])
    except LookupError:
        return False
    return True


def can_acknowledge(user) -> bool:
    """Whether pages show this user an Acknowledge button: only to the roles the view admits,
    since anyone else would get a 404. Roles are cached on the user, so no query per row."""
    return has_role(user, *ACKNOWLEDGING_ROLES)
