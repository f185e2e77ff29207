from django.apps import AppConfig


class ClinicConfig(AppConfig):
    """The monitoring app: visits, flags, reminders, dashboards, the patient portal."""

    name = "clinic"
    verbose_name = "Clinic monitoring"

    def ready(self):
        from clinic import signals  # noqa: F401  (connects the login handlers)
