"""Which SMS adapter is set up, from the settings (docs/SMS.md): none while SMS_PROVIDER_URL
is unset, and then no text is sent (the reminder is skipped with the reason)."""

from __future__ import annotations

from django.conf import settings

from clinic.reminders.sms.base import SmsSender
from clinic.reminders.sms.twilio import TwilioSender


def sms_set_up() -> bool:
    return bool(settings.SMS_PROVIDER_URL)


def sms_sender() -> SmsSender | None:
    """The configured adapter (the one there is; another provider would be chosen here)."""
    if not sms_set_up():
        return None
    return TwilioSender(
        base_url=settings.SMS_PROVIDER_URL,
        account_sid=settings.SMS_ACCOUNT_SID,
        auth_token=settings.SMS_AUTH_TOKEN,
        from_number=settings.SMS_FROM,
        timeout=settings.SMS_TIMEOUT,
    )
