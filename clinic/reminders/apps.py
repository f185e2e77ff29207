from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """The reminder outbox, its schedule, sending, the database-outage wait, the Celery tasks and
    the heartbeat that /healthz reads."""

    name = "clinic.reminders"
    label = "reminders"
    verbose_name = "Reminders"

    def ready(self):
        # dosing and monitoring announce (their signals); reminders schedule.
        from clinic.reminders import receivers  # noqa: F401
