from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    """Patients, enrolment, consent, roles, pharmacies and their certification."""

    name = "registry"
    verbose_name = "Registry"

    def ready(self):
        from registry.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, dispatch_uid="registry_sync_role_groups")
