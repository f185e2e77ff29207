from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """Patients, enrolment, consent, roles, pharmacies and their certification."""

    name = "registry"
    verbose_name = "Registry"
