from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """Patients, enrolment, consent, pharmacies and their certification: records and
    services, no pages (those are in clinic/staff and clinic/portal)."""

    name = "registry"
    verbose_name = "Registry"
