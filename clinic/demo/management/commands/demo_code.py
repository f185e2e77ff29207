"""Print the current second-factor code of the demo accounts (development only).

The demo accounts share a published authenticator key (seed_demo); this saves reaching for a
phone while trying the application. Refuses to run unless DEBUG is on, and prints codes only
for devices holding that published key, never for a real account's.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.accounts.two_factor import totp_of
from clinic.demo.management.commands.seed_demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo accounts. DEBUG only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code runs only with DEBUG on.")
        devices = TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).select_related(
            "user"
        )
        if not devices:
            raise CommandError("No demo account has the demo key; run seed_demo first.")
        for device in devices:
            totp = totp_of(device)
            left = device.step - int(totp.time - device.t0) % device.step
            code = f"{totp.token():0{device.digits}d}"
            self.stdout.write(f"{device.user.username:<14} {code}  (for {left} more seconds)")
