"""A fake SMS provider on loopback, in the shape of Twilio's Messages API: it records each
request (path, basic-auth credentials, form fields) and answers as told (201 with a sid by
default; a status and JSON body queued with `answer_next`)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SID, TOKEN, FROM = "AC00000000000000000000000000000001", "secret-auth-token", "+447911000000"


@dataclass
class Received:
    path: str
    credentials: str
    form: dict


@dataclass
class FakeProvider:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer_next(self, status: int, body: dict) -> None:
        with self.lock:
            self.answers.append((status, body))

    def texts(self) -> list[tuple[str, str]]:
        return [(r.form["To"], r.form["Body"]) for r in self.received]


def start() -> FakeProvider:
    provider: FakeProvider

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            auth = self.headers.get("Authorization", "")
            credentials = (
                base64.b64decode(auth.removeprefix("Basic ")).decode()
                if auth.startswith("Basic ")
                else ""
            )
            with provider.lock:
                provider.received.append(Received(self.path, credentials, form))
                number = len(provider.received)
                status, body = provider.answers.pop(0) if provider.answers else (201, None)
            body = body or {"sid": f"SM{number:032d}", "status": "queued"}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider = FakeProvider(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return provider


@pytest.fixture
def provider(settings):
    """The fake provider on loopback, with the app's SMS settings pointed at it; stopped after
    the test. A fixture of every test (tests/conftest.py imports it)."""
    fake = start()
    settings.SMS_PROVIDER_URL = fake.url
    settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN, settings.SMS_FROM = SID, TOKEN, FROM
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
