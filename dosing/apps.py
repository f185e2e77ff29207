from django.apps import AppConfig


class DosingConfig(AppConfig):
    """Dose rules, treatment courses, prescriptions, dispenses and the course schedule."""

    name = "dosing"
    verbose_name = "Dosing"
