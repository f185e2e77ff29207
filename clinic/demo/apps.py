from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo accounts (seed_demo), generated registries (generate_demo_data), demo_code. Installed
    only with DEMO_APPS (on by default when DEBUG is on; the tests and the bench turn it on)."""

    name = "clinic.demo"
    label = "demo"
    verbose_name = "Demo data"
