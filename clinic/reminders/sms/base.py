"""What every SMS provider adapter offers the reminder sender, and which adapter is set up.

The sender (clinic/reminders/sending.py) treats a text like an email: the row is claimed, the
attempt counted, then the text handed to the provider. A TemporarySmsError (provider down, 5xx,
429, a timeout) is retried with the same backoff as email; a PermanentSmsError (the provider
refused this message: an invalid number, a blocked recipient) fails the row at once, with the
provider's reason in the send log, since sending it again would be refused again.
"""

from __future__ import annotations

from typing import Protocol


class SmsError(Exception):
    """The provider did not take the text."""


class TemporarySmsError(SmsError):
    """Worth trying again later."""


class PermanentSmsError(SmsError):
    """Refused for this message; trying again would be refused again."""


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> str:
        """Hand `body` to the provider for `to` (E.164); return the provider's message id."""
