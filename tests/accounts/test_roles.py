"""The five roles exist as groups with exactly the permissions registry/roles.py lists."""

from django.contrib.auth.models import Group
from django.urls import reverse

from clinic.accounts.roles import ROLE_PERMISSIONS, Role, primary_role, roles_of
from tests.factories import UserFactory


def test_the_migration_creates_every_role_group_with_its_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        granted = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == expected, role


def test_a_prescriber_starts_on_the_worklist_even_with_a_second_role(db):
    user = UserFactory(roles=[Role.PRESCRIBER, Role.REGISTRY_ADMIN])
    assert roles_of(user) == {Role.PRESCRIBER, Role.REGISTRY_ADMIN}
    assert primary_role(user) is Role.PRESCRIBER


def test_a_superuser_counts_as_registry_admin(db):
    user = UserFactory(is_superuser=True)
    assert Role.REGISTRY_ADMIN in roles_of(user)


def test_a_registry_admin_cannot_make_anyone_a_superuser(client, registry_admin, nurse):
    client.force_login(registry_admin)
    page = client.get(reverse("admin:auth_user_change", args=[nurse.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html
    assert 'name="groups"' in html  # roles are theirs to give
