from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Visits, flags, labs, weights, follow-ups and the clinical consequences of a pregnancy
    test.

    The label stays "clinic" (the app's name before the split): its tables (clinic_visit,
    clinic_courseflag, ...), its migration history and its admin URLs keep their names, so an
    existing database upgrades without a single row touched."""

    name = "clinic.monitoring"
    label = "clinic"
    verbose_name = "Clinic monitoring"
