"""An SMS adapter for Twilio's Messages API (and providers that copy its shape), on urllib.

POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with the form fields To, From and
Body, HTTP basic auth (account SID, auth token); the answer is JSON with the message's "sid".
A 4xx answer is the provider refusing this message (Twilio's error "code" and "message" are
kept as the reason); a 5xx, 429 or a network error is temporary.

The inbound side: Twilio signs each webhook request with X-Twilio-Signature, the base64 of
HMAC-SHA1 (key: the auth token) over the full URL followed by each POST parameter's name and
value, sorted by name (twilio_signature below; clinic/reminders/views.py checks it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

from clinic.reminders.sms.base import PermanentSmsError, TemporarySmsError

API_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"
REASON_LENGTH = 300


class TwilioSender:
    def __init__(self, *, base_url, account_sid, auth_token, from_number, timeout=10):
        # Only http(s): urllib would also open file: and other schemes (the S310 noqa below).
        if urllib.parse.urlsplit(base_url).scheme not in {"http", "https"}:
            raise ValueError("SMS_PROVIDER_URL must be an http or https URL.")
        self.url = base_url.rstrip("/") + API_PATH.format(sid=urllib.parse.quote(account_sid))
        credentials = f"{account_sid}:{auth_token}".encode()
        self.authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
        self.from_number = from_number
        self.timeout = timeout

    def send(self, to: str, body: str) -> str:
        data = urllib.parse.urlencode({"To": to, "From": self.from_number, "Body": body})
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url,
            data=data.encode(),
            method="POST",
            headers={
                "Authorization": self.authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            reason = _reason(exc)
            if 400 <= exc.code < 500 and exc.code != 429:
                raise PermanentSmsError(reason) from exc
            raise TemporarySmsError(reason) from exc
        except (OSError, ValueError) as exc:  # refused, reset, timed out; or not JSON
            raise TemporarySmsError(f"{type(exc).__name__}: {exc}") from exc
        sid = answer.get("sid") if isinstance(answer, dict) else None
        if not sid:
            raise TemporarySmsError("the provider answered without a message id")
        return str(sid)


def _reason(exc: urllib.error.HTTPError) -> str:
    """The provider's own words for a refusal ("21211: The 'To' number is not valid")."""
    try:
        answer = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        answer = {}
    said = answer.get("message") if isinstance(answer, dict) else None
    code = answer.get("code") if isinstance(answer, dict) else None
    text = f"HTTP {exc.code}" + (f" {code}" if code else "") + (f": {said}" if said else "")
    return text[:REASON_LENGTH]


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature for a form POST to `url` with `params` (name, value pairs)."""
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")
