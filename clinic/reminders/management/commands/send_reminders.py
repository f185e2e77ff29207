from django.core.management.base import BaseCommand

from clinic.reminders.sending import send_due_reminders


class Command(BaseCommand):
    help = "Send one batch of due reminders now (what beat's send_due_reminders does each minute)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=100, help="At most this many rows.")

    def handle(self, *args, batch, **options):
        run = send_due_reminders(batch=batch)
        self.stdout.write(
            f"Claimed {run.claimed}: sent {run.sent}, skipped {run.skipped}, "
            f"retry later {run.retried}, failed {run.failed}, returned {run.released}."
        )
