from django.core.management.base import BaseCommand

from clinic.monitoring.flagging import raise_flags


class Command(BaseCommand):
    help = "Raise course flags now (20 weeks, 70% fewer nodules, overdue follow-up, mood, tests)."

    def handle(self, *args, **options):
        run = raise_flags()
        self.stdout.write(f"Raised {run.raised} flag(s) in {run.statements} SQL statements.")
