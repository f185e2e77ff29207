"""Monitoring records. Visits, flags and reminders arrive with the monitoring issue."""

from django.db import models


class Heartbeat(models.Model):
    """When a periodic task last ran: proof that beat and a worker are both alive."""

    name = models.CharField(max_length=50, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S %Z}"
