"""Create the five role groups with their permissions (frozen here as of this migration)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Prescriber": ["registry.view_patient", "registry.add_patient", "registry.change_patient"],
    "Clinical staff": ["registry.view_patient", "registry.add_patient", "registry.change_patient"],
    "Registry admin": [
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "registry.view_patient",
        "registry.view_historicalpatient",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
    ],
    "Pharmacist": [],
    "Patient": [],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally made after all migrations ran; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("registry", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
