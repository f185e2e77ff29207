"""Audit trail of second-factor devices (django-otp's models, so registered from here).

A history row is written when an authenticator is set up, confirmed, used and removed, and when
recovery codes are replaced or used, with who did it (simple-history's request middleware).
The secrets stay out of it: a history table would keep every old TOTP key for good, and the
recovery codes themselves (StaticToken) are not tracked, only their device.
"""

from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history import register

# Fields that change on every verification or hold the secret.
_VOLATILE = ["throttling_failure_timestamp", "throttling_failure_count"]

# The tables keep the names they had before the split into apps (clinic_historical...).
register(
    TOTPDevice,
    app="clinic.accounts",
    table_name="clinic_historicaltotpdevice",
    excluded_fields=["key", "last_t", "drift", *_VOLATILE],
)
register(
    StaticDevice,
    app="clinic.accounts",
    table_name="clinic_historicalstaticdevice",
    excluded_fields=_VOLATILE,
)
