"""Phone numbers as the registry keeps them: E.164 ("+447911123456"), whoever they belong to.

A number typed without a country code is read as one of settings.PHONENUMBER_DEFAULT_REGION
(the clinic's country). Patients' numbers are checked by their form field (PhoneNumberField);
guardians' go through registry.guardianship, whose callers are a staff form and the spreadsheet
import, so the rule lives here once.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings

PHONE_INVALID = (
    "Enter a valid phone number, such as 07911 123456, or one with its country code, such as "
    "+44 7911 123456."
)


def to_e164(raw: str) -> str | None:
    """`raw` as E.164, or None when it is not a valid phone number."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
