"""A minimal SMTP server for tests: accepts every message and keeps it (no aiosmtpd needed).

Speaks just enough of RFC 5321 for smtplib and Django's SMTP backend: greeting, EHLO/HELO,
MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT. No TLS, no AUTH.

    with SmtpSink() as sink:
        ... EMAIL_URL=f"smtp://127.0.0.1:{sink.port}" ...
        sink.messages  # list of email.message.Message, in arrival order
"""

from __future__ import annotations

import email
import socketserver
import threading
from email.message import Message


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        self.reply("220 smtp-sink ready")
        sender, recipients = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 smtp-sink")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command[8:].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line:  # the client went away mid-message: nothing was delivered
                        return
                    if line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                sink.record(sender, recipients, b"".join(lines))
                self.reply("250 OK: queued")
            elif verb == "RSET":
                sender, recipients = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._server = _Server((host, port), _Handler)
        self._server.sink = self  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self.envelopes: list[tuple[str | None, list[str]]] = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def record(self, sender, recipients, data: bytes) -> None:
        with self._lock:
            self._messages.append(email.message_from_bytes(data))
            self.envelopes.append((sender, list(recipients)))

    def start(self) -> SmtpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
