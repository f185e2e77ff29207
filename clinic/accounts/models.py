"""Recovery codes stored hashed, and the audit trail of second-factor devices.

Recovery codes: django-otp's static tokens keep each code in the clear, so anyone who reads the
database (a backup, a replica, a support query) could sign in as any staff member who has
codes left. Ours keep only a salted PBKDF2 hash of each code (Django's own PBKDF2 hasher), as
NIST SP 800-63B 5.1.2.2 asks of look-up secrets with fewer than 112 bits: a code has 50 random
bits, and 20,000 iterations make checking a full set of ten take about 0.1 s, once per sign-in
with a code, while a guess against a stolen hash costs the same 20,000 iterations. A code is
deleted as it is used, so it works once, even with two sign-ins racing.

History: a row is written when an authenticator is set up, confirmed, used and removed, and when
recovery codes are replaced or used, with who did it (simple-history's request middleware).
The secrets stay out of it: a history table would keep every old TOTP key for good, and the
recovery codes themselves are not tracked, only their device.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import models
from django_otp.models import Device, ThrottlingMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history import register

# Lower-case base32 without the look-alikes 0/1 (so 'o' and 'l' read the same typed or printed).
CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
CODE_LENGTH = 10  # 50 bits
HASH_ITERATIONS = 20_000
_HASHER = PBKDF2PasswordHasher()


def random_recovery_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def hash_recovery_code(code: str) -> str:
    return _HASHER.encode(code, _HASHER.salt(), iterations=HASH_ITERATIONS)


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A user's set of one-time recovery codes (the second factor when the phone is lost).

    A django-otp device, so signing in with a code marks the session as verified by it like
    any other device, and django-otp's throttle doubles the wait after each wrong code.
    """

    class Meta:
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        for code in self.codes.all():
            # Deleting by primary key and counting the rows is what makes a code single-use:
            # of two sign-ins racing with one code, only one deletes it.
            if _HASHER.verify(str(token), code.digest):
                if RecoveryCode.objects.filter(pk=code.pk).delete()[0]:
                    self.throttle_reset(commit=False)
                    self.save()  # a history row: "a recovery code was used"
                    return True
                break
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    """One recovery code, as a salted PBKDF2 hash; the code itself is shown once and kept
    nowhere."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=128)

    def __str__(self) -> str:
        return f"Recovery code {self.pk} of {self.device}"


# Fields that change on every verification or hold the secret.
_VOLATILE = ["throttling_failure_timestamp", "throttling_failure_count"]

# The tables keep the names they had before the split into apps (clinic_historical...).
register(
    TOTPDevice,
    app="clinic.accounts",
    table_name="clinic_historicaltotpdevice",
    excluded_fields=["key", "last_t", "drift", *_VOLATILE],
)
# Recovery codes were django-otp static devices until migration 0002; their history stays
# readable.
register(
    StaticDevice,
    app="clinic.accounts",
    table_name="clinic_historicalstaticdevice",
    excluded_fields=_VOLATILE,
)
register(RecoveryCodeDevice, excluded_fields=_VOLATILE)
