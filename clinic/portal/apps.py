from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Every page a patient sees, the calendar feed and its token."""

    name = "clinic.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self):
        from clinic.portal import language  # noqa: F401  (its user_logged_in receiver)
