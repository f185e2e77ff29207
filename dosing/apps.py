from django.apps import AppConfig


class DosingConfig(AppConfig):
    """Dose rules, treatment courses, prescriptions, dispenses and the course schedule."""

    name = "dosing"
    verbose_name = "Dosing"

    def ready(self):
        from dosing import receivers  # noqa: F401  (registry changes reach prescriptions)
