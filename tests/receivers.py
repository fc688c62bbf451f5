"""Real loopback receivers for alert deliveries: an HTTP webhook endpoint and an SMTP server.

Shared by the notifier's unit tests and the integration and end-to-end tests.
"""

import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One request the hook server got, and when (``time.monotonic()``)."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0


class HookServer:
    """A loopback HTTP endpoint: answers POSTs with the next scripted status (then ``default``).

    ``delay`` seconds pass between reading a request and answering it (a slow subscriber).
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[int] = []
        self.default = 200
        self.delay = 0.0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with server._lock:
                    server.requests.append(
                        Received(self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                    status = server.script.pop(0) if server.script else server.default
                if server.delay:
                    time.sleep(server.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test, or a killed notifier)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this server."""
        return self.base + path

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class MailHandler:
    """aiosmtpd handler: keeps every message; can refuse a recipient or defer DATA."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.defer_data = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.defer_data > 0:
            self.defer_data -= 1
            return "451 4.3.0 try again later"
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        message = message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class MailServer:
    """A real SMTP server (aiosmtpd) on a free loopback port."""

    def __init__(self) -> None:
        self.handler = MailHandler()
        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        """(recipients, message) for every message accepted so far."""
        return self.handler.messages

    def close(self) -> None:
        """Stop the server."""
        self._controller.stop()
