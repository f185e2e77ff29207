from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    """The pharmacist's dispensing pages and staff dispensing on a pharmacy's behalf (R17)."""

    name = "clinic.pharmacy"
    label = "pharmacy"
    verbose_name = "Dispensing pages"
