"""The SMS provider's inbound webhook: a reply to a reminder text. A STOP reply (the usual
opt-out words) turns text consent off for the patient(s) at that number (registry/consents.py);
any other reply is ignored (texts say replies are not read; the clinic's number is in the
portal). The provider signs each request (X-Twilio-Signature, clinic/reminders/sms/twilio.py):
an unsigned or wrongly signed request is refused with 403 and changes nothing.

The only view without CSRF protection: the provider cannot send the form's token, and the
signature proves more than the token would. It answers 200 with no body whatever the number,
so it tells nobody whether a number is in the registry.
"""

from __future__ import annotations

import hmac
import logging

import phonenumbers
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.reminders.sms.twilio import twilio_signature
from registry.consents import withdraw_by_stop_reply

logger = logging.getLogger(__name__)

# Twilio's default opt-out keywords: any of them, alone, in any case, stops texts.
STOP_WORDS = {"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"}


def signed_by_provider(request) -> bool:
    token = settings.SMS_AUTH_TOKEN
    given = request.headers.get("X-Twilio-Signature", "")
    if not token or not given:
        return False
    # The URL the provider called: pinned by SMS_WEBHOOK_URL behind a proxy that rewrites it.
    url = settings.SMS_WEBHOOK_URL or request.build_absolute_uri()
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    return hmac.compare_digest(twilio_signature(token, url, params), given)


def is_stop(body: str) -> bool:
    return " ".join(body.split()).upper() in STOP_WORDS


def e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@csrf_exempt
@require_POST
@never_cache
def sms_inbound(request):
    if not signed_by_provider(request):
        return HttpResponseForbidden(b"", content_type="text/plain")
    number = e164(request.POST.get("From", ""))
    if number and is_stop(request.POST.get("Body", "")):
        withdrawn = withdraw_by_stop_reply(number)
        logger.info("SMS STOP reply: text consent withdrawn for %s patient(s)", withdrawn)
    return HttpResponse(b"", content_type="text/plain")
